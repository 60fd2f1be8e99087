// Shared by every shader: storage type, workgroup size from specialization constants 0..2, and
// the linear index of a workgroup in a grid that the host splits over x and y when it has more
// than maxComputeWorkGroupCount[0] groups.
#extension GL_EXT_control_flow_attributes : enable

#include "shader_interface.h"  // push-constant structs and flag values, shared with the C++

#ifdef STORAGE_F16
// f16 storage, f32 arithmetic: values are converted on load and rounded once on store.
#extension GL_EXT_shader_16bit_storage : require
#define ftype float16_t
#else
#define ftype float
#endif

layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;

uint group_index() { return gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x; }

// One invocation per element in a 1-D problem.
uint global_index() { return group_index() * gl_WorkGroupSize.x + gl_LocalInvocationID.x; }
