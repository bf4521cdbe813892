#ifndef DESCENT_CLAPACKE_SHIM_H
#define DESCENT_CLAPACKE_SHIM_H
// LAPACKE's default complex types are C99 _Complex, which Swift cannot import;
// declare them as plain structs of two reals before including the header.
#define LAPACK_COMPLEX_CUSTOM
typedef struct { float real, imag; } descent_complex_float;
typedef struct { double real, imag; } descent_complex_double;
#define lapack_complex_float descent_complex_float
#define lapack_complex_double descent_complex_double
#include <lapacke.h>
#endif
