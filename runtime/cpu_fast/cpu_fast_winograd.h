// Winograd's F(m x m, 3x3) for 3x3 convolutions of stride 1 and padding 1 over NHWC activations
// (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2016): each m x m output
// tile is A^T [(G g G^T) . (B^T d B)] A of its (m + 2) x (m + 2) input window d, which summed over
// the input channels is (m + 2)^2 GEMMs of tiles x in_c x out_c. F(2x2, 3x3) makes 16
// multiplications per tile where the direct convolution makes 36 (2.25x fewer), F(4x4, 3x3) 36
// where it makes 144 (4x fewer) at larger rounding errors (its transforms scale by up to 8 and
// G has sixths; NMSE to the direct convolution about 6e-12 against 1e-13 over 256 channels, in
// numpy). The weights are transformed once in double.
#pragma once

#include <cstdint>

#include "cliprt/graph.h"
#include "cpu/thread_pool.h"
#include "cpu_fast/cpu_fast_kernels.h"
#include "cpu_fast/cpu_fast_packing.h"

namespace cliprt::cpu_fast {

// `CLIPRT_CPU_WINOGRAD=0` turns it off (the direct implicit GEMM runs instead), for comparisons.
bool winograd_enabled();

// The tile size m (2 or 4) with which a Conv2d node (channels-last, f32 weights: conv_runs_nhwc)
// runs by Winograd here, or 0 for the direct convolution: 3x3, stride 1, padding 1, and enough
// channels and tiles for the GEMMs' register blocks (see the definition). Not affected by
// CLIPRT_CPU_WINOGRAD.
int winograd_tile(const Graph& graph, const Node& node);

// y = epilogue(conv(wt.x, w)) with w packed by PackCache::get_winograd. Where the tiles' V and M
// (the transforms' outputs) outgrow block_bytes per thread (0: half of L2), each thread runs
// blocks of tiles that fit through all three steps; otherwise the GEMMs share the threads.
void parallel_winograd_conv(cpu::ThreadPool& pool, const Kernels& kernels, const WinogradTiles& wt,
                            const PackedWeights& w, float* y, const GemmEpilogue& ep, int64_t block_bytes = 0);

}  // namespace cliprt::cpu_fast
