// main() of every test program: the same OpenBLAS kernel choice as the lieq binary
// (kernels/blas_core.h), so tests run the kernels users get, then GoogleTest.
#include <gtest/gtest.h>

#include "kernels/blas_core.h"

int main(int argc, char** argv) {
  lieq::EnsureOpenBlasCoreType(argv);
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
