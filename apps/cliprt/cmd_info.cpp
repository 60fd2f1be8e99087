// cliprt info: backends, their devices (or why they are unavailable), and the built-in models.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cliprt/backends.h"
#include "commands.h"
#include "models/model_config.h"

namespace cliprt::app {

Command add_info_command(CLI::App& app) {
    CLI::App* cmd = app.add_subcommand("info", "List backends, devices and built-in models");
    auto json = std::make_shared<bool>(false);
    cmd->add_flag("--json", *json, "Print JSON");
    return [json] {
        const auto statuses = backend_statuses();
        if (*json) {
            nlohmann::json out;
            for (const BackendStatus& s : statuses) {
                nlohmann::json b{{"name", s.name}, {"available", s.available}};
                if (!s.available) b["reason"] = s.reason;
                for (const DeviceInfo& d : s.devices) {
                    nlohmann::json dev{{"name", d.name}, {"type", d.type}, {"driver", d.driver},
                                       {"memory_bytes", d.memory_bytes}, {"fp16", d.fp16}};
                    for (const auto& [k, v] : d.details) dev[k] = v;
                    b["devices"].push_back(dev);
                }
                out["backends"].push_back(b);
            }
            out["models"] = builtin_model_names();
            std::cout << out.dump(2) << "\n";
            return 0;
        }
        for (const BackendStatus& s : statuses) {
            std::cout << s.name << ": " << (s.available ? "available" : "unavailable (" + s.reason + ")") << "\n";
            for (size_t i = 0; i < s.devices.size(); ++i) {
                const DeviceInfo& d = s.devices[i];
                std::cout << "  [" << i << "] " << d.name << " (" << d.type << ")";
                if (!d.driver.empty()) std::cout << ", driver " << d.driver;
                if (d.memory_bytes) std::cout << ", " << d.memory_bytes / (1024 * 1024) << " MiB";
                std::cout << ", fp16 " << (d.fp16 ? "yes" : "no") << "\n";
                for (const auto& [k, v] : d.details) std::cout << "      " << k << ": " << v << "\n";
            }
        }
        std::cout << "built-in models:";
        for (const std::string& name : builtin_model_names()) std::cout << " " << name;
        std::cout << "\n";
        return 0;
    };
}

}  // namespace cliprt::app
