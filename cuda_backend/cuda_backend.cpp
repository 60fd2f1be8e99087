#include "cuda_backend.h"

#include "cuda_check.h"
#include "cuda_device.h"
#include "cuda_ops.h"
#include "cuda_program.h"

namespace cliprt::cuda {

namespace {

// cuBLASLt's scratch for split-K and stream-K algorithms (NVIDIA suggests 32 MiB on Hopper).
constexpr uint64_t kWorkspaceBytes = 32ull << 20;

// Bounds and buffer checks of a copy between the host and a tensor region of a buffer.
unsigned char* region(const Buffer& buffer, uint64_t offset, uint64_t bytes) {
    const CudaBuffer& cuda = cuda_buffer(buffer);
    if (offset > cuda.size() || bytes > cuda.size() - offset) {
        fail("cuda backend: copy of ", bytes, " bytes at offset ", offset, " exceeds a buffer of ", cuda.size(),
             " bytes");
    }
    return static_cast<unsigned char*>(cuda.data()) + offset;
}

}  // namespace

CudaBackend::CudaBackend(int device, DType storage) : device_(choose_device(device)), storage_(storage) {
    if (storage_ != DType::F32 && storage_ != DType::F16) {
        fail("the cuda backend stores floats as f32 or f16, not ",
             storage_ == DType::BF16 ? "bf16" : "an integer type");
    }
    use_device();
    info_ = describe_device(device_);
    info_.details.emplace_back("storage", storage_ == DType::F16 ? "f16 (f32 accumulation)" : "f32");
    check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
    try {
        check(cublasLtCreate(&lt_), "cublasLtCreate");
        workspace_ = std::make_unique<CudaBuffer>(device_, kWorkspaceBytes, stream_);
    } catch (...) {
        if (lt_ != nullptr) cublasLtDestroy(lt_);
        cudaStreamDestroy(stream_);
        throw;
    }
}

CudaBackend::~CudaBackend() {
    cudaSetDevice(device_);
    cudaStreamSynchronize(stream_);
    workspace_.reset();
    cublasLtDestroy(lt_);
    cudaStreamDestroy(stream_);
}

void CudaBackend::use_device() const { check(cudaSetDevice(device_), "cudaSetDevice"); }

std::unique_ptr<Buffer> CudaBackend::allocate(uint64_t bytes) {
    return std::make_unique<CudaBuffer>(device_, bytes, stream_);
}

void CudaBackend::upload(Buffer& buffer, uint64_t offset, const void* src, uint64_t bytes) {
    use_device();
    check(cudaMemcpyAsync(region(buffer, offset, bytes), src, bytes, cudaMemcpyHostToDevice, stream_),
          "cudaMemcpyAsync (upload)");
    check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize (upload)");
}

void CudaBackend::download(const Buffer& buffer, uint64_t offset, void* dst, uint64_t bytes) {
    use_device();
    check(cudaMemcpyAsync(dst, region(buffer, offset, bytes), bytes, cudaMemcpyDeviceToHost, stream_),
          "cudaMemcpyAsync (download)");
    check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize (download)");
}

std::optional<std::string> CudaBackend::unsupported_reason(const Graph& graph, const Node& node) const {
    return cuda::unsupported_reason(graph, node);
}

std::unique_ptr<Program> CudaBackend::record(const Graph& graph, const std::vector<TensorArg>& args) {
    use_device();
    std::vector<IdCheck> id_checks;
    for (const Node& node : graph.nodes()) {
        if (node.op == OpKind::Embedding) {
            const auto* ids = static_cast<const int32_t*>(device_data(args.at(static_cast<size_t>(node.inputs[0]))));
            id_checks.push_back({node.name, graph.shape(node.inputs[1])[0], ids});
        }
    }
    auto program = std::make_unique<CudaProgram>(device_, stream_, id_checks);

    RecordContext context;
    context.storage = storage_ == DType::F16 ? Storage::F16 : Storage::F32;
    context.lt = lt_;
    context.workspace = workspace_->data();
    context.workspace_bytes = workspace_->size();
    std::vector<Step> steps;
    std::vector<std::string> names, ops;
    size_t next_check = 0;
    for (const Node& node : graph.nodes()) {
        NodeArgs node_args{gather_node_args(node, args), context};
        if (node.op == OpKind::Embedding) node_args.error_position = program->id_error_slot(next_check++);
        steps.push_back(node.op == OpKind::Linear ? record_linear(node_args) : record_kernel_op(node_args));
        names.push_back(node.name);
        ops.push_back(op_name(node.op));
    }
    program->capture(steps, names, ops);
    return program;
}

}  // namespace cliprt::cuda
