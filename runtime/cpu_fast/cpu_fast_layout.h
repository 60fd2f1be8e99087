// Channels-last activations between convolutions. The fast backend runs Conv2d as an implicit GEMM
// over NHWC activations (cpu_fast_conv2d.cpp), so a value that flows only from convolutions
// (through average pools) into convolutions is kept NHWC in its buffer: a ModifiedResNet's trunk
// runs from its stem to its last bottleneck with no change of layout, and no patch matrix. Every
// other value, every graph output among them, stays in the graph's NCHW.
#pragma once

#include "cliprt/graph.h"
#include "cpu_fast/cpu_fast_packing.h"

namespace cliprt::cpu_fast {

// Whether a Conv2d node is a patchify convolution without residual (stride = kernel > 1, no
// padding: ViT's patch embedding), which reads every input pixel once, in runs of kernel_w, and
// runs as a Linear over its patches.
bool runs_as_linear(const Graph& graph, const Node& node);

// Whether the fast backend runs this Conv2d node channels-last: every one with constant weights
// but those that run as a Linear and those with bf16 weights on AMX tiles (which gather patch
// panels).
bool conv_runs_nhwc(const Graph& graph, const Node& node, WeightFormat weights);

// Whether the fast backend keeps value `id` NHWC: it is made by a channels-last Conv2d, or by an
// average pool of such a value, and every reader is a channels-last Conv2d (as its input or
// residual) or an average pool whose output is kept NHWC too; no graph output is.
bool value_is_nhwc(const Graph& graph, ValueId id, WeightFormat weights);

}  // namespace cliprt::cpu_fast
