#include "cliprt/shape.h"

#include <sstream>

namespace cliprt {

int64_t Shape::numel() const {
    int64_t n = 1;
    for (int64_t d : dims_) n *= d;
    return n;
}

std::string Shape::str() const {
    std::ostringstream out;
    out << '[';
    for (size_t i = 0; i < dims_.size(); ++i) out << (i ? ", " : "") << dims_[i];
    out << ']';
    return out.str();
}

std::ostream& operator<<(std::ostream& out, const Shape& shape) { return out << shape.str(); }

}  // namespace cliprt
