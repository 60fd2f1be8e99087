// CUDA devices as cliprt describes them: enumeration for `cliprt info` and the choice of device.
#pragma once

#include "cliprt/backend.h"
#include "cliprt/cuda_module_abi.h"

namespace cliprt::cuda {

// The oldest compute capability this module has code for (its lowest CUDA architecture, sm_75).
inline constexpr int kMinComputeCapability = 75;

// Devices, or the CUDA runtime's error string when there are none. Never throws.
CudaDeviceQuery query_devices();
// Throws Error on a CUDA failure.
DeviceInfo describe_device(int device);
// `requested` if it is a valid index, the usable device with the most multiprocessors for -1;
// throws Error naming the problem otherwise.
int choose_device(int requested);

}  // namespace cliprt::cuda
