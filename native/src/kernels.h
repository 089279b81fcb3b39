// grove native core: scoring kernels over the layout built by forest.h.
#pragma once

#include <cstdint>

#include "forest.h"

namespace grove {

// Row-major input: rows x numFeatures values, float32 or float64. Borrowed; must stay alive and
// unmodified while scoring.
struct Input {
  const void* data = nullptr;
  bool isF32 = false;
};

// Raw margins of rows [0, rows) over trees [0, treeEnd) into out[rows * numMargins], bit-identical to
// the reference engine (src/engine/reference.ts). Uses up to `threads` threads (the caller's thread is
// one of them); the result does not depend on the number of threads.
// The caller has checked the sizes (input holds rows * numFeatures values, treeEnd <= numTrees).
// Throws only std::bad_alloc / std::system_error (callers at the N-API boundary catch everything).
void scoreRows(const Model& m, const Input& in, uint64_t rows, uint32_t treeEnd, double* out, unsigned threads);

// Work (rows x trees) below which one more thread is not used. Tests lower it to exercise threading
// on small inputs; it never changes results.
void setMinWorkPerThread(uint64_t work);

// Hardware threads, at least 1.
unsigned hardwareThreads();

}  // namespace grove
