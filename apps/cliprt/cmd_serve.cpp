// cliprt serve: the index in the browser (apps/server): search box, upload, more like this.
#include <pthread.h>
#include <signal.h>

#include <iostream>
#include <thread>

#include "commands.h"
#include "search/model_choice.h"
#include "server/request_guard.h"
#include "server/search_server.h"

namespace cliprt::app {

namespace {

struct ServeArgs {
    server::ServerOptions options;
    std::string host = "127.0.0.1";
    int port = 8080;
    size_t max_upload_mb = 20;
};

}  // namespace

Command add_serve_command(CLI::App& app) {
    CLI::App* cmd = app.add_subcommand("serve", "Search an index in the browser: a local web page and a JSON API");
    auto a = std::make_shared<ServeArgs>();
    cmd->add_option("--db", a->options.db, "Index file (default: $CLIPRT_DB, else cliprt.db in the current directory)");
    cmd->add_option("--port", a->port, "TCP port (0: any free port)")
        ->capture_default_str()
        ->check(CLI::Range(0, 65535));
    cmd->add_option("--host", a->host, "Address to listen on; anything but loopback exposes your photos to the network")
        ->capture_default_str();
    cmd->add_option("--allow-host", a->options.allowed_hosts,
                    "A host name this machine is reached by, accepted in the Host header besides localhost and IP "
                    "literals (repeatable; for --host other than loopback)");
    cmd->add_option("--root", a->options.roots,
                    "Only serve files under this folder (repeatable; default: the folder holding every indexed file)");
    cmd->add_option("--model", a->options.model,
                    "Model (default: $CLIPRT_MODEL, else the model that made the index); it must be the index's model");
    cmd->add_option("--weights", a->options.weights, "'synthetic' or a .safetensors file, with --model");
    cmd->add_option("--backend", a->options.backend, "cpu, vulkan, cuda or auto")->capture_default_str();
    cmd->add_option("--max-upload-mb", a->max_upload_mb, "Largest accepted upload, in MiB (larger: HTTP 413)")
        ->capture_default_str()
        ->check(CLI::Range(1, 4096));
    return [a] {
        a->options.db = search::choose_db_path(a->options.db);
        a->options.max_upload_bytes = a->max_upload_mb << 20;
        // SIGINT/SIGTERM are taken by one thread that stops the server, so a Ctrl-C ends cleanly.
        sigset_t stop_signals;
        sigemptyset(&stop_signals);
        sigaddset(&stop_signals, SIGINT);
        sigaddset(&stop_signals, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

        if (!server::is_loopback_bind_address(a->host)) {
            std::cerr << "cliprt: WARNING: --host " << a->host
                      << " is not a loopback address: every machine that can reach this port can search and download "
                         "the indexed photos (there is no login). Requests are answered for the Host names localhost, "
                         "IP literals"
                      << (a->options.allowed_hosts.empty() ? "" : " and --allow-host names") << " only." << std::endl;
        }
        server::SearchServer srv(a->options);
        const int port = srv.bind(a->host, a->port);
        const std::string shown_host = a->host.find(':') != std::string::npos ? "[" + a->host + "]" : a->host;
        std::cout << "cliprt: serving " << a->options.db << " (model " << srv.model_name() << ") at http://"
                  << shown_host << ":" << port << "/" << std::endl;
        std::thread waiter([&srv, stop_signals] {
            int sig = 0;
            sigwait(&stop_signals, &sig);
            srv.stop();
        });
        srv.run();
        // run() also returns on a listen failure: wake the waiter so it can be joined.
        pthread_kill(waiter.native_handle(), SIGTERM);
        waiter.join();
        return 0;
    };
}

}  // namespace cliprt::app
