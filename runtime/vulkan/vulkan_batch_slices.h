// Ops other than linear and embedding (which bind their own pieces) whose activations are larger
// than one binding are recorded a slice of the batch at a time: each operand that carries the
// batch (see batch_operands) is bound at its slice, the others whole. A slice is the same op on a
// smaller batch, so the op's recorder is unchanged.
#pragma once

#include <cstdint>
#include <vector>

#include "cliprt/graph.h"
#include "cliprt/op_args.h"

namespace cliprt::vk {

// Which operands (the node's inputs in order, then its output) carry the batch; empty when the op
// is not the same op on each slice of its output's leading dimension (concat along it, a permute
// that moves it, a batch of one).
std::vector<bool> batch_operands(const Graph& graph, const Node& node);

// An operand's bytes per batch row (sliced) or in all (not sliced).
struct OperandBytes {
    uint64_t bytes = 0;
    bool sliced = false;
};

// Batch rows per slice: the most (up to `batch`) whose sliced operands each fit `max_binding` and
// whose slices all start on `alignment`; 0 when no slice fits or an unsliced operand is too large.
int64_t batch_rows_per_slice(const std::vector<OperandBytes>& operands, int64_t batch, uint64_t max_binding,
                             uint64_t alignment);

// The operands of `a` for batch rows [first, first + count).
NodeArgs batch_slice(const NodeArgs& a, const std::vector<bool>& sliced, int64_t first, int64_t count);

}  // namespace cliprt::vk
