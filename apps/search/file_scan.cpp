#include "search/file_scan.h"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <set>

#include "cliprt/error.h"

namespace cliprt::search {

namespace fs = std::filesystem;

bool is_image_path(const std::string& path) {
    std::string ext = fs::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    static const std::array<const char*, 6> known = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tga"};
    return std::any_of(known.begin(), known.end(), [&](const char* k) { return ext == k; });
}

std::string normalize_path(const std::string& path) {
    std::string out = fs::absolute(fs::path(path)).lexically_normal().string();
    while (out.size() > 1 && out.back() == '/') out.pop_back();
    return out;
}

bool stat_file(const std::string& path, int64_t* size, int64_t* mtime_ns) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return false;
    *size = static_cast<int64_t>(st.st_size);
    *mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
    return true;
}

ScanResult scan_images(const std::vector<std::string>& roots) {
    ScanResult result;
    std::set<std::string> seen;  // overlapping roots list a file once
    auto add = [&](const std::string& path) {
        if (!seen.insert(path).second) return;
        ScannedFile f;
        f.path = path;
        if (!stat_file(path, &f.size, &f.mtime_ns)) {
            result.errors.push_back(path + ": cannot stat");
            return;
        }
        result.files.push_back(std::move(f));
    };
    for (const std::string& root_arg : roots) {
        const std::string root = normalize_path(root_arg);
        std::error_code ec;
        const fs::file_status status = fs::status(root, ec);
        if (ec || !fs::exists(status)) fail("no such file or directory: ", root_arg);
        if (fs::is_regular_file(status)) {
            if (!is_image_path(root)) fail(root_arg, " is not an image file (png jpg jpeg bmp gif tga)");
            add(root);
            continue;
        }
        if (!fs::is_directory(status)) fail(root_arg, " is neither a directory nor an image file");
        fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
        if (ec) fail("cannot list ", root_arg, ": ", ec.message());
        for (const fs::recursive_directory_iterator end; it != end;) {
            std::error_code type_ec;
            if (it->is_regular_file(type_ec) && !type_ec) {
                const std::string path = it->path().lexically_normal().string();
                if (is_image_path(path)) add(path);
            }
            it.increment(ec);
            if (ec) {  // the iterator cannot continue past this; report instead of guessing
                result.errors.push_back(root + ": listing stopped: " + ec.message());
                break;
            }
        }
    }
    std::sort(result.files.begin(), result.files.end(),
              [](const ScannedFile& a, const ScannedFile& b) { return a.path < b.path; });
    return result;
}

}  // namespace cliprt::search
