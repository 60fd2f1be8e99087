// The interface between the compute shaders and the Vulkan backend, included by both: by every
// shaders/*.comp (GLSL, through GL_GOOGLE_include_directive) and by runtime/vulkan (C++). One
// declaration per push-constant block and per flag or mode value, so the two sides cannot drift.
//
// Rules that keep the C++ layout equal to the GLSL one: members are 32-bit scalars (uint, int,
// float) or arrays of them, so std430 (the default of push_constant blocks) has no padding; each
// struct's size is checked below with a static_assert. A shader declares its block as
//   layout(push_constant) uniform Params { AttentionPush p; };
// and reads p.q_len; the recorder fills an AttentionPush and hands it to Recording::dispatch.
#ifndef CLIPRT_SHADER_INTERFACE_H
#define CLIPRT_SHADER_INTERFACE_H

#ifdef __cplusplus
#include <cstdint>
namespace cliprt::vk::shader {
using uint = uint32_t;
#define CLIPRT_SHADER_CONST inline constexpr
#else
#define CLIPRT_SHADER_CONST const
#endif

// ---- values ----

// Activations, numbered as cliprt::Activation (static_assert in vulkan_recording.cpp).
CLIPRT_SHADER_CONST uint ACT_NONE = 0u;
CLIPRT_SHADER_CONST uint ACT_RELU = 1u;
CLIPRT_SHADER_CONST uint ACT_GELU = 2u;
CLIPRT_SHADER_CONST uint ACT_GELU_TANH = 3u;
CLIPRT_SHADER_CONST uint ACT_QUICK_GELU = 4u;
CLIPRT_SHADER_CONST uint ACT_SIGMOID = 5u;

// Epilogue inputs of linear and conv2d (GemmEpiloguePush.flags).
CLIPRT_SHADER_CONST uint EPILOGUE_BIAS = 1u;
CLIPRT_SHADER_CONST uint EPILOGUE_RESIDUAL = 2u;

// How gemm.glsl and attention.comp feed their invocations (their MODE constant).
CLIPRT_SHADER_CONST uint MODE_REGISTERS = 0u;
CLIPRT_SHADER_CONST uint MODE_SHARED = 1u;
CLIPRT_SHADER_CONST uint MODE_SUBGROUP = 2u;  // attention.comp's subgroup build: a subgroup per query

// AttentionPush.flags.
CLIPRT_SHADER_CONST uint ATTENTION_CAUSAL = 1u;
CLIPRT_SHADER_CONST uint ATTENTION_COSINE = 2u;
CLIPRT_SHADER_CONST uint ATTENTION_HEAD_SCALE = 4u;
CLIPRT_SHADER_CONST uint ATTENTION_KEY_MASK = 8u;  // binding 6 holds the key mask [B, kv_len] (i32)

// binary.comp's OP constant.
CLIPRT_SHADER_CONST uint BINARY_ADD = 0u;
CLIPRT_SHADER_CONST uint BINARY_MUL = 1u;

// token_pool.comp's MODE constant, numbered as cliprt::PoolMode.
CLIPRT_SHADER_CONST uint POOL_FIRST = 0u;
CLIPRT_SHADER_CONST uint POOL_LAST = 1u;
CLIPRT_SHADER_CONST uint POOL_ARGMAX = 2u;
CLIPRT_SHADER_CONST uint POOL_EOS = 3u;
CLIPRT_SHADER_CONST uint POOL_MEAN = 4u;
CLIPRT_SHADER_CONST uint POOL_MASKED_MEAN = 5u;  // the ids binding holds the mask
CLIPRT_SHADER_CONST uint POOL_MASKED_MAX = 6u;

// Dimensions of binary.comp's and copy.comp's index space after merging (vulkan_strides.h).
CLIPRT_SHADER_CONST uint STRIDED_MAX_RANK = 6u;

// ---- push-constant blocks, one per shader ----

struct UnaryPush {
    uint n;
    float alpha;  // y = act(alpha * x + beta)
    float beta;
};

// tanh.comp: y = tanh(x), n elements.
struct TanhPush {
    uint n;
};

struct BinaryPush {
    uint n;
    uint rank;
    uint dims[STRIDED_MAX_RANK];  // a's (merged) shape, outermost first
    uint b_strides[STRIDED_MAX_RANK];
};

struct CopyPush {
    uint n;
    uint rank;
    uint dst_offset;
    uint dims[STRIDED_MAX_RANK];
    uint src_strides[STRIDED_MAX_RANK];
    uint dst_strides[STRIDED_MAX_RANK];
};

// linear.comp: C [M, N] = x [M, K] w [N, K]^T with the epilogue.
struct LinearPush {
    uint M;
    uint N;
    uint K;
    uint act;     // ACT_*
    uint flags;   // EPILOGUE_BIAS | EPILOGUE_RESIDUAL
    uint ld_out;  // row stride of y and residual: N, or more when the output features are bound in pieces
};

// grouped_conv2d.comp: one invocation per output element.
struct GroupedConv2dPush {
    uint B;
    uint C;  // input channels
    uint H;
    uint W;
    uint O;  // output channels
    uint OH;
    uint OW;
    uint KH;
    uint KW;
    uint SH;
    uint SW;
    uint PH;
    uint PW;
    uint group_in;   // C / groups
    uint group_out;  // O / groups
    uint act;        // ACT_*
    uint flags;      // EPILOGUE_BIAS | EPILOGUE_RESIDUAL
};

// conv2d.comp as an implicit GEMM: output channels x output pixels.
struct Conv2dPush {
    uint O;  // GEMM M: output channels
    uint N;  // GEMM N: batch * OH * OW
    uint K;  // C * KH * KW
    uint C;
    uint H;
    uint W;
    uint OH;
    uint OW;
    uint act;    // ACT_*
    uint flags;  // EPILOGUE_BIAS | EPILOGUE_RESIDUAL
};

// attention.comp: element (b, row, col) of q is q[q_col + b * q_batch_stride + row * q_row_stride + col].
struct AttentionPush {
    uint q_len;
    uint kv_len;
    uint width;  // heads * D: the row width of the output
    uint q_batch_stride;
    uint q_row_stride;
    uint q_col;
    uint k_batch_stride;
    uint k_row_stride;
    uint k_col;
    uint v_batch_stride;
    uint v_row_stride;
    uint v_col;
    float scale;
    uint flags;  // ATTENTION_*
};

// layer_norm.comp, l2_normalize.comp and softmax.comp (eps is layer_norm's only).
struct RowsPush {
    uint rows;
    uint width;
    float eps;
};

struct EmbeddingPush {
    uint n;  // rows * width
    uint width;
    uint vocab;
    uint slot;   // this embedding's out-of-range report slot in the status buffer
    uint first;  // the table rows bound: [first, first + rows) (all of them unless the table is bound in pieces)
    uint rows;
};

struct AvgPool2dPush {
    uint planes;  // N * C
    uint in_h;
    uint in_w;
    uint out_h;
    uint out_w;
    uint kernel_h;
    uint kernel_w;
    uint stride_h;
    uint stride_w;
};

struct TokenPoolPush {
    uint batch;
    uint len;
    uint width;
    int eos_id;
    uint mean_start;
};

#ifdef __cplusplus
// Sizes in 32-bit words: no padding anywhere, so std430 and C++ agree member by member.
static_assert(sizeof(UnaryPush) == 3 * 4);
static_assert(sizeof(BinaryPush) == (2 + 2 * STRIDED_MAX_RANK) * 4);
static_assert(sizeof(CopyPush) == (3 + 3 * STRIDED_MAX_RANK) * 4);
static_assert(sizeof(LinearPush) == 6 * 4);
static_assert(sizeof(Conv2dPush) == 10 * 4);
static_assert(sizeof(GroupedConv2dPush) == 17 * 4);
static_assert(sizeof(AttentionPush) == 14 * 4);
static_assert(sizeof(TanhPush) == 1 * 4);
static_assert(sizeof(RowsPush) == 3 * 4);
static_assert(sizeof(EmbeddingPush) == 6 * 4);
static_assert(sizeof(AvgPool2dPush) == 9 * 4);
static_assert(sizeof(TokenPoolPush) == 5 * 4);
}  // namespace cliprt::vk::shader
#endif
#undef CLIPRT_SHADER_CONST

#endif  // CLIPRT_SHADER_INTERFACE_H
