// Activations ACT_* (shader_interface.h, numbered as cliprt::Activation): None, Relu, Gelu (erf),
// GeluTanh, QuickGelu, Sigmoid. Written to stay finite for any finite input (no exp overflow into
// inf/inf). The epilogue flags EPILOGUE_BIAS and EPILOGUE_RESIDUAL are in shader_interface.h too.

// erf as a rational approximation on [-4, 4] (beyond it erf is +-1 in f32); a few ulp of error.
float erf_approx(float a) {
    float x = clamp(a, -4.0, 4.0);
    float x2 = x * x;
    float p = x2 * -2.72614225801306e-10 + 2.77068142495902e-08;
    p = x2 * p + -2.10102402082508e-06;
    p = x2 * p + -5.69250639462346e-05;
    p = x2 * p + -7.34990630326855e-04;
    p = x2 * p + -2.95459980854025e-03;
    p = x2 * p + -1.60960333262415e-02;
    p = x * p;
    float q = x2 * -1.45660718464996e-05 + -2.13374055278905e-04;
    q = x2 * q + -1.68282697438203e-03;
    q = x2 * q + -7.37332916720468e-03;
    q = x2 * q + -1.42647390514189e-02;
    return p / q;
}

float tanh_safe(float y) {
    float t = exp(-2.0 * abs(y));  // in (0, 1]: never overflows
    return sign(y) * (1.0 - t) / (1.0 + t);
}

float sigmoid(float x) { return 1.0 / (1.0 + exp(-x)); }

float activate(float x, uint act) {
    if (act == ACT_RELU) return x < 0.0 ? 0.0 : x;
    if (act == ACT_GELU) return 0.5 * x * (1.0 + erf_approx(x * 0.70710678118654752));
    if (act == ACT_GELU_TANH) return 0.5 * x * (1.0 + tanh_safe(0.79788456080286536 * (x + 0.044715 * x * x * x)));
    if (act == ACT_QUICK_GELU) return x * sigmoid(1.702 * x);
    if (act == ACT_SIGMOID) return sigmoid(x);
    return x;
}
