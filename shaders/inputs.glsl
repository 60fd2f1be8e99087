// Read-only float inputs, declared as storage buffers or, in the "texel" variant of a shader
// (compiled with -DTEXEL_LOADS), as uniform texel buffers: on CPU devices such as lavapipe a texel
// fetch of four floats costs about what one storage-buffer element does. The host creates the
// views with four floats per texel when VEC4 (a specialization constant of the includer) says so
// for that input, one float otherwise; f16 storage uses f16 view formats, converted on fetch.
#ifdef TEXEL_LOADS
#define FLOAT_INPUT(binding_, name) layout(binding = binding_) uniform samplerBuffer name;
#define LOAD1(name, i, vec4_views) \
    ((vec4_views) ? texelFetch(name, int((i) >> 2))[(i) & 3u] : texelFetch(name, int(i)).x)
#define LOAD4(name, i, vec4_views)                                                                  \
    ((vec4_views) ? texelFetch(name, int((i) >> 2))                                                 \
                  : vec4(texelFetch(name, int(i)).x, texelFetch(name, int(i) + 1).x,                \
                         texelFetch(name, int(i) + 2).x, texelFetch(name, int(i) + 3).x))
#else
#define FLOAT_INPUT(binding_, name) layout(std430, binding = binding_) readonly buffer name##_block { ftype name[]; };
#define LOAD1(name, i, vec4_views) float(name[i])
#define LOAD4(name, i, vec4_views) \
    vec4(float(name[i]), float(name[(i) + 1u]), float(name[(i) + 2u]), float(name[(i) + 3u]))
#endif
