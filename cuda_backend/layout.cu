// Data movement: embedding gather, concatenation with broadcast, permutation. One thread per
// output element in grid-stride loops; multi-dimensional ops split the element index into
// coordinates over the output dims (at most kMaxRank) and sum per-axis strides.
#include "device_common.cuh"

namespace cliprt::cuda {

namespace {

template <typename T>
__global__ void embedding_kernel(EmbeddingArgs a) {
    const T* table = static_cast<const T*>(a.table);
    T* y = static_cast<T*>(a.y);
    const int64_t n = a.n * a.width;
    for (int64_t i = global_thread(); i < n; i += grid_threads()) {
        const int64_t position = i / a.width;
        int64_t id = a.ids[position];
        if (id < 0 || id >= a.vocab) {
            // Reported after the run; clamping keeps this run's reads inside the table.
            atomicMin(a.error_position, static_cast<int>(position));
            id = id < 0 ? 0 : a.vocab - 1;
        }
        y[i] = table[id * a.width + i % a.width];
    }
}

template <typename T>
__global__ void concat_part_kernel(ConcatPartArgs a, int64_t n) {
    const T* x = static_cast<const T*>(a.x);
    T* y = static_cast<T*>(a.y) + a.y_offset;
    for (int64_t i = global_thread(); i < n; i += grid_threads()) {
        int64_t rest = i;
        int64_t x_offset = 0;
        int64_t y_offset = 0;
#pragma unroll
        for (int d = kMaxRank - 1; d >= 0; --d) {  // unrolled: constant indices keep dims in registers
            if (d >= a.rank) continue;
            const int64_t coord = rest % a.dims[d];
            rest /= a.dims[d];
            x_offset += coord * a.x_strides[d];
            y_offset += coord * a.y_strides[d];
        }
        y[y_offset] = x[x_offset];
    }
}

// Elements are moved as raw 2- or 4-byte words, so one kernel serves f16, f32 and i32.
template <typename Word>
__global__ void permute_kernel(PermuteArgs a, int64_t n) {
    const Word* x = static_cast<const Word*>(a.x);
    Word* y = static_cast<Word*>(a.y);
    for (int64_t i = global_thread(); i < n; i += grid_threads()) {
        int64_t rest = i;
        int64_t x_offset = 0;
#pragma unroll
        for (int d = kMaxRank - 1; d >= 0; --d) {  // unrolled: constant indices keep dims in registers
            if (d >= a.rank) continue;
            x_offset += rest % a.dims[d] * a.x_strides[d];
            rest /= a.dims[d];
        }
        y[i] = x[x_offset];
    }
}

int64_t element_count(const int64_t* dims, int rank) {
    int64_t n = 1;
    for (int d = 0; d < rank; ++d) n *= dims[d];
    return n;
}

}  // namespace

void launch_embedding(Storage s, const EmbeddingArgs& a, cudaStream_t stream) {
    const int64_t n = a.n * a.width;
    if (n == 0) return;
    with_storage(s, [&](auto tag) {
        using T = decltype(tag);
        embedding_kernel<T><<<elementwise_blocks(n), kElementwiseThreads, 0, stream>>>(a);
    });
}

void launch_concat_part(Storage s, const ConcatPartArgs& a, cudaStream_t stream) {
    const int64_t n = element_count(a.dims, a.rank);
    if (n == 0) return;
    with_storage(s, [&](auto tag) {
        using T = decltype(tag);
        concat_part_kernel<T><<<elementwise_blocks(n), kElementwiseThreads, 0, stream>>>(a, n);
    });
}

void launch_permute(const PermuteArgs& a, cudaStream_t stream) {
    const int64_t n = element_count(a.dims, a.rank);
    if (n == 0) return;
    if (a.element_bytes == 2) {
        permute_kernel<uint16_t><<<elementwise_blocks(n), kElementwiseThreads, 0, stream>>>(a, n);
    } else {
        permute_kernel<uint32_t><<<elementwise_blocks(n), kElementwiseThreads, 0, stream>>>(a, n);
    }
}

}  // namespace cliprt::cuda
