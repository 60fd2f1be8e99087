// Winograd's F(2x2, 3x3) for 3x3 convolutions of stride 1 and padding 1 over NHWC activations
// (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2016): each 2 x 2 output
// tile is A^T [(G g G^T) . (B^T d B)] A of its 4 x 4 input window d, which summed over the input
// channels is 16 GEMMs of tiles x in_c x out_c, 16 multiplications per tile where the direct
// convolution makes 36 (2.25x fewer). The transforms add and subtract only; G's halves are exact,
// and the weights are transformed once in double.
#pragma once

#include <cstdint>

#include "cliprt/graph.h"
#include "cpu/thread_pool.h"
#include "cpu_fast/cpu_fast_kernels.h"
#include "cpu_fast/cpu_fast_packing.h"

namespace cliprt::cpu_fast {

// `CLIPRT_CPU_WINOGRAD=0` turns it off (the direct implicit GEMM runs instead), for comparisons.
bool winograd_enabled();

// Whether a Conv2d node (channels-last, f32 weights: conv_runs_nhwc) runs by Winograd here: 3x3,
// stride 1, padding 1, and enough channels and tiles for the GEMMs' register blocks (see the
// definition). Not affected by CLIPRT_CPU_WINOGRAD.
bool conv_runs_winograd(const Graph& graph, const Node& node);

// y = epilogue(conv(wt.x, w)) with w packed by PackCache::get_winograd. Where the tiles' V and M
// (the transforms' outputs) outgrow block_bytes per thread (0: half of L2), each thread runs
// blocks of tiles that fit through all three steps; otherwise the 16 GEMMs share the threads.
void parallel_winograd_conv(cpu::ThreadPool& pool, const Kernels& kernels, const WinogradTiles& wt,
                            const PackedWeights& w, float* y, const GemmEpilogue& ep, int64_t block_bytes = 0);

}  // namespace cliprt::cpu_fast
