#include "vulkan/vulkan_strides.h"

namespace cliprt::vk {

StridedLoop merge_dims(const std::vector<int64_t>& dims, const std::vector<std::vector<int64_t>>& strides) {
    StridedLoop out;
    out.strides.resize(strides.size());
    for (size_t d = 0; d < dims.size(); ++d) {
        if (dims[d] == 1) continue;
        bool mergeable = !out.dims.empty();
        for (size_t o = 0; mergeable && o < strides.size(); ++o) {
            mergeable = out.strides[o].back() == strides[o][d] * dims[d];
        }
        if (mergeable) {
            out.dims.back() *= dims[d];
            for (size_t o = 0; o < strides.size(); ++o) out.strides[o].back() = strides[o][d];
        } else {
            out.dims.push_back(dims[d]);
            for (size_t o = 0; o < strides.size(); ++o) out.strides[o].push_back(strides[o][d]);
        }
    }
    if (out.dims.empty()) {  // a single element
        out.dims.push_back(1);
        for (auto& s : out.strides) s.push_back(0);
    }
    return out;
}

}  // namespace cliprt::vk
