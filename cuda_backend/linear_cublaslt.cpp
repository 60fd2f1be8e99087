// Linear as one cuBLASLt matmul: y[M, N] = act(x[M, K] @ W[N, K]^T + bias + residual).
//
// cuBLASLt is column-major, so row-major y [M, N] is computed as the column-major N x M matrix
// D = op(A) op(B) with A = W (column-major K x N, transposed) and B = x (column-major K x M). The
// bias is the BIAS epilogue (one value per row of D, i.e. per column of y); the residual is the C
// matrix with beta = 1. The activation then sees the whole sum, as graph.h requires.
//
// Epilogue activations only where they are the model's function exactly: cuBLASLt's GELU
// epilogue is the tanh approximation (cublasLt.h only says "GELU"; XLA fuses it solely for
// approximate GELU, openxla/xla#7751), so it serves GeluTanh, and only without a residual so the
// order of C and epilogue never matters. Exact (erf) GELU, QuickGELU, sigmoid and ReLU (the RELU
// epilogue turns NaN into 0, torch keeps NaN) run as the in-place unary kernel after the matmul.
// Compute is CUBLAS_COMPUTE_32F in both storages: no TF32, f32 accumulation for f16.
#include <cstdint>
#include <memory>

#include "cuda_buffer.h"
#include "cuda_check.h"
#include "cuda_ops.h"

namespace cliprt::cuda {

namespace {

// The descriptors of one matmul, alive as long as its step (only the capture uses them).
struct MatmulPlan {
    cublasLtMatmulDesc_t desc = nullptr;
    cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr, d = nullptr;
    cublasLtMatmulAlgo_t algo{};
    float alpha = 1.0f;
    float beta = 0.0f;

    MatmulPlan() = default;
    MatmulPlan(const MatmulPlan&) = delete;
    MatmulPlan& operator=(const MatmulPlan&) = delete;
    ~MatmulPlan() {
        for (cublasLtMatrixLayout_t layout : {a, b, c, d}) {
            if (layout != nullptr) cublasLtMatrixLayoutDestroy(layout);
        }
        if (desc != nullptr) cublasLtMatmulDescDestroy(desc);
    }
};

template <typename V>
void set_attribute(cublasLtMatmulDesc_t desc, cublasLtMatmulDescAttributes_t attribute, const V& value) {
    check(cublasLtMatmulDescSetAttribute(desc, attribute, &value, sizeof(value)), "cublasLtMatmulDescSetAttribute");
}

template <typename V>
void set_preference(cublasLtMatmulPreference_t preference, cublasLtMatmulPreferenceAttributes_t attribute,
                    const V& value) {
    check(cublasLtMatmulPreferenceSetAttribute(preference, attribute, &value, sizeof(value)),
          "cublasLtMatmulPreferenceSetAttribute");
}

cublasLtMatrixLayout_t column_major(cudaDataType_t type, int64_t rows, int64_t cols) {
    cublasLtMatrixLayout_t layout = nullptr;
    check(cublasLtMatrixLayoutCreate(&layout, type, static_cast<uint64_t>(rows), static_cast<uint64_t>(cols), rows),
          "cublasLtMatrixLayoutCreate");
    return layout;
}

// The largest power of two (up to 256) dividing the address: the heuristic must not pick a kernel
// that assumes more alignment than the pointer has.
uint32_t alignment(const void* p) {
    const auto address = reinterpret_cast<uintptr_t>(p);
    uint32_t a = 256;
    while (a > 1 && address % a != 0) a /= 2;
    return a;
}

}  // namespace

Step record_linear(const NodeArgs& args) {
    const LinearView view = linear_view(args);
    const LinearParams& p = view.params;
    const int64_t m = view.m, n = view.n, k = view.k;
    const void* x = device_data(view.x);
    const void* w = device_data(view.w);
    const void* bias = view.bias ? device_data(*view.bias) : nullptr;
    const void* residual = view.residual ? device_data(*view.residual) : nullptr;
    void* y = device_data(args.output);
    if (m == 0 || n == 0) return {};
    const RecordContext& context = args.context;
    const cudaDataType_t type = context.storage == Storage::F16 ? CUDA_R_16F : CUDA_R_32F;

    const bool gelu_epilogue = p.act == Activation::GeluTanh && residual == nullptr;
    cublasLtEpilogue_t epilogue = CUBLASLT_EPILOGUE_DEFAULT;
    if (gelu_epilogue) {
        epilogue = bias != nullptr ? CUBLASLT_EPILOGUE_GELU_BIAS : CUBLASLT_EPILOGUE_GELU;
    } else if (bias != nullptr) {
        epilogue = CUBLASLT_EPILOGUE_BIAS;
    }

    auto plan = std::make_shared<MatmulPlan>();
    check(cublasLtMatmulDescCreate(&plan->desc, CUBLAS_COMPUTE_32F, CUDA_R_32F), "cublasLtMatmulDescCreate");
    set_attribute(plan->desc, CUBLASLT_MATMUL_DESC_TRANSA, CUBLAS_OP_T);
    set_attribute(plan->desc, CUBLASLT_MATMUL_DESC_TRANSB, CUBLAS_OP_N);
    set_attribute(plan->desc, CUBLASLT_MATMUL_DESC_EPILOGUE, epilogue);
    if (bias != nullptr) {
        set_attribute(plan->desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, bias);
        set_attribute(plan->desc, CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, type);
    }
    plan->a = column_major(type, k, n);
    plan->b = column_major(type, k, m);
    plan->c = column_major(type, n, m);
    plan->d = column_major(type, n, m);
    plan->beta = residual != nullptr ? 1.0f : 0.0f;
    const void* c = residual != nullptr ? residual : y;

    cublasLtMatmulPreference_t preference = nullptr;
    check(cublasLtMatmulPreferenceCreate(&preference), "cublasLtMatmulPreferenceCreate");
    cublasLtMatmulHeuristicResult_t result{};
    int found = 0;
    cublasStatus_t status = CUBLAS_STATUS_SUCCESS;
    try {
        set_preference(preference, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                       static_cast<uint64_t>(context.workspace_bytes));
        set_preference(preference, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, alignment(w));
        set_preference(preference, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, alignment(x));
        set_preference(preference, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, alignment(c));
        set_preference(preference, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, alignment(y));
        status = cublasLtMatmulAlgoGetHeuristic(context.lt, plan->desc, plan->a, plan->b, plan->c, plan->d, preference,
                                                1, &result, &found);
    } catch (...) {
        cublasLtMatmulPreferenceDestroy(preference);
        throw;
    }
    cublasLtMatmulPreferenceDestroy(preference);
    if (status != CUBLAS_STATUS_SUCCESS || found == 0) {
        fail("cuda backend: node '", args.node.name, "': cuBLASLt has no algorithm for x ", view.x.shape.str(), " @ W ",
             view.w.shape.str(), "^T (",
             status != CUBLAS_STATUS_SUCCESS ? cublasLtGetStatusString(status) : "no heuristic result", ")");
    }
    plan->algo = result.algo;

    const bool activation_kernel = p.act != Activation::None && !gelu_epilogue;
    UnaryArgs activation;
    activation.x = y;
    activation.y = y;
    activation.n = m * n;
    activation.act = to_act(p.act);
    Step step;
    step.kernels = activation_kernel ? 2 : 1;
    step.enqueue = [plan, context, w, x, c, y, activation_kernel, activation](cudaStream_t stream) {
        check(cublasLtMatmul(context.lt, plan->desc, &plan->alpha, w, plan->a, x, plan->b, &plan->beta, c, plan->c, y,
                             plan->d, &plan->algo, context.workspace, context.workspace_bytes, stream),
              "cublasLtMatmul");
        if (activation_kernel) launch_unary(context.storage, activation, stream);
    };
    return step;
}

}  // namespace cliprt::cuda
