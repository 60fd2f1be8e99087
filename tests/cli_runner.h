// Runs the cliprt executable from a test, as a user would: arguments passed as given (bytes, not
// necessarily UTF-8, never through a shell), stdout and stderr captured, the exit status kept.
#pragma once

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace cliprt::test {

struct CliRun {
    int status = 0;
    std::string out, err;
    bool killed() const { return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL; }
    int code() const { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }
};

// stdout and stderr go through files in `scratch` (an existing folder). `env` is set in the child;
// CLIPRT_MODEL and CLIPRT_DB are cleared so the user's environment cannot change a test.
// A non-zero `as_user` runs the child as that uid and gid (after the output files are open), for
// tests of files the user cannot write when the tests run as root.
inline CliRun run_cliprt(const std::vector<std::string>& args, const std::string& scratch,
                         const std::vector<std::pair<std::string, std::string>>& env = {}, uid_t as_user = 0) {
    const std::string out_path = scratch + "/stdout", err_path = scratch + "/stderr";
    const pid_t pid = ::fork();
    if (pid == 0) {
        const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ::dup2(out, 1);
        ::dup2(err, 2);
        ::unsetenv("CLIPRT_MODEL");
        ::unsetenv("CLIPRT_DB");
        for (const auto& [name, value] : env) ::setenv(name.c_str(), value.c_str(), 1);
        if (as_user != 0 && (::setgid(as_user) != 0 || ::setuid(as_user) != 0)) ::_exit(126);
        std::vector<char*> argv{const_cast<char*>(CLIPRT_CLI_PATH)};
        for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        ::execv(CLIPRT_CLI_PATH, argv.data());
        ::_exit(127);
    }
    CliRun r;
    ::waitpid(pid, &r.status, 0);
    for (auto [path, text] : {std::pair{&out_path, &r.out}, std::pair{&err_path, &r.err}}) {
        std::ifstream in(*path, std::ios::binary);
        std::ostringstream s;
        s << in.rdbuf();
        *text = s.str();
    }
    return r;
}

}  // namespace cliprt::test
