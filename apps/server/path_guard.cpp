#include "server/path_guard.h"

#include <filesystem>

#include "cliprt/error.h"

namespace cliprt::server {

namespace fs = std::filesystem;

namespace {

// True if `path` is `root` or below it, compared by whole components ("/a/bc" is not under "/a/b").
bool is_under(const std::string& path, const std::string& root) {
    if (root == "/") return !path.empty() && path[0] == '/';
    return path == root ||
           (path.size() > root.size() && path.compare(0, root.size(), root) == 0 && path[root.size()] == '/');
}

}  // namespace

PathGuard::PathGuard(const std::vector<std::string>& roots) {
    for (const std::string& root : roots) {
        std::error_code ec;
        const fs::path canonical = fs::canonical(root, ec);
        if (ec || !fs::is_directory(canonical, ec)) fail("serve root ", root, " is not an existing directory");
        roots_.push_back(canonical.string());
    }
}

std::optional<std::string> PathGuard::allow(const std::string& path) const {
    if (path.empty() || path[0] != '/' || path.find('\0') != std::string::npos) return std::nullopt;
    std::error_code ec;
    const fs::path canonical = fs::canonical(path, ec);  // resolves "..", "." and every symlink
    if (ec || !fs::is_regular_file(canonical, ec)) return std::nullopt;
    const std::string c = canonical.string();
    for (const std::string& root : roots_) {
        if (is_under(c, root)) return c;
    }
    return std::nullopt;
}

std::string common_directory(const std::vector<std::string>& paths) {
    if (paths.empty()) return "";
    std::string common = fs::path(paths[0]).parent_path().string();
    for (const std::string& p : paths) {
        while (!common.empty() && common != "/" && !is_under(p, common))
            common = fs::path(common).parent_path().string();
    }
    return common.empty() ? "/" : common;
}

}  // namespace cliprt::server
