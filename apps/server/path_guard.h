// Which files the server may send: only regular files inside the indexed roots, judged on the
// canonical path (symlinks and ".." resolved), so neither a ".." segment, a relative path nor a
// symlink pointing elsewhere can lead a request out of the photo folders.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace cliprt::server {

class PathGuard {
public:
    // Roots are canonicalized; a root that does not exist throws Error naming it.
    explicit PathGuard(const std::vector<std::string>& roots);

    // The canonical form of `path` if it is absolute, exists as a regular file (after following
    // symlinks) and lies inside one of the roots; nullopt otherwise.
    std::optional<std::string> allow(const std::string& path) const;

    const std::vector<std::string>& roots() const { return roots_; }

private:
    std::vector<std::string> roots_;  // canonical, without trailing slash (except "/")
};

// The deepest directory containing every path (the default roots when none are given): "/" for
// paths with nothing in common, "" for no paths.
std::string common_directory(const std::vector<std::string>& paths);

}  // namespace cliprt::server
