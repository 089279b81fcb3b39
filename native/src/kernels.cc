// Scoring kernels.
//
// Rows are scored in blocks of up to 64. A block is first copied into a scratch matrix in the rule's
// comparison type (float32 for XGBoost, whose split test is fround(x) < t; double for LightGBM): per
// row the values, the constant +Inf, the values negated (see forest.h for why). Then, group of trees by
// group of trees, independent traversals ("lanes": rows x trees, at least 32 in flight) advance one
// level per step in chunks of 8-16 lanes held in registers, so the CPU overlaps their loads; a step is
// seven instructions (load offset, load value, load delta, ucomis with the threshold in memory, adc)
// and a lane does exactly depth(tree) of them, with no branch. Leaf contributions are then added to
// each row in tree order, exactly as the reference engine (src/engine/reference.ts) does:
//   XGBoost:  out = fround(out + fround(leaf * weight))   (from the base score; float32 steps)
//   LightGBM: out = out + leaf                            (double, from the base score)
// Threads split the rows; a row's arithmetic never depends on how rows are split, so results are
// deterministic and identical for any thread count.
#include "kernels.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <thread>
#include <type_traits>
#include <vector>

#include "thread_pool.h"

#if defined(__GNUC__) || defined(__clang__)
#define GROVE_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define GROVE_ALWAYS_INLINE inline
#endif

// Tuning knobs (compile-time; the defaults were measured on x86-64, see native/README.md).
#ifndef GROVE_ONE_ROW_CHUNK
#define GROVE_ONE_ROW_CHUNK 8
#endif
#ifndef GROVE_ASM_STEP
#if defined(__x86_64__) && defined(__GNUC__)
#define GROVE_ASM_STEP 1
#else
#define GROVE_ASM_STEP 0
#endif
#endif
#ifndef GROVE_LANE_TARGET
#define GROVE_LANE_TARGET 32
#endif

namespace grove {

namespace {

constexpr unsigned kBlockRows = 64;        // rows per block (lanes when a block is full)
constexpr unsigned kLaneTarget = GROVE_LANE_TARGET;  // independent traversals wanted per step for small blocks
constexpr unsigned kMaxLanes = 64;         // >= kBlockRows and >= 2 * kLaneTarget - 1
constexpr unsigned kOneRowChunk = GROVE_ONE_ROW_CHUNK;  // lanes per chunk when all lanes read one row
constexpr size_t kScratchBudget = 256 * 1024;  // bytes of converted rows per block (at least one row)
std::atomic<uint64_t> gMinWorkPerThread{32 * 1024};  // tree-rows below which another thread does not pay

// ---- Node access --------------------------------------------------------------------------------

struct Ops8 {
  static uint32_t fx(const Node8& n) { return n.fx; }
  static uint32_t delta(const Node8& n) { return n.delta; }
  static uint32_t slowIndex(const Node8& n) {
    uint32_t k;
    std::memcpy(&k, &n.thr, sizeof k);
    return k;
  }
};

struct OpsF {
  static uint32_t fx(const NodeF& n) { return n.fx; }
  static uint32_t delta(const NodeF& n) { return n.delta; }
  static uint32_t slowIndex(const NodeF& n) {
    uint32_t k;
    std::memcpy(&k, &n.thr, sizeof k);
    return k;
  }
};

struct OpsD {
  static uint32_t fx(const NodeD& n) { return n.fx; }
  static uint32_t delta(const NodeD& n) { return n.delta; }
  static uint32_t slowIndex(const NodeD& n) {
    uint64_t k;
    std::memcpy(&k, &n.thr, sizeof k);
    return static_cast<uint32_t>(k);
  }
};

// ---- Rare nodes, exactly as src/engine/reference.ts -----------------------------------------------

inline bool inBitset(const uint32_t* bits, const SlowNode& s, uint32_t code) {
  const uint32_t w = code >> 5;
  if (w >= s.catWords) return false;
  return ((bits[s.catStart + w] >> (code & 31)) & 1u) != 0;
}

// XGBoost; v is fround(x).
inline uint32_t slowGoRightXgb(const Model& m, const SlowNode& s, float v) {
  if (v != v) return (s.flags & kFlagDefaultLeft) ? 0u : 1u;
  if (s.flags & kFlagCategorical) {
    if (v < 0.0f || v >= 16777216.0f) return 0u;  // not a valid category: not in the set, left
    const uint32_t code = static_cast<uint32_t>(v);  // truncation; 0 <= v < 2^24
    return inBitset(m.catBits.data(), s, code) ? 1u : 0u;  // in the set goes right
  }
  return static_cast<double>(v) < s.thr ? 0u : 1u;
}

// LightGBM's static_cast<int>(double) on x86-64 (out of range -> INT_MIN), without the UB.
inline int32_t castInt(double x) {
  const double t = std::trunc(x);
  if (t >= -2147483648.0 && t <= 2147483647.0) return static_cast<int32_t>(t);
  return std::numeric_limits<int32_t>::min();
}

// LightGBM's kZeroThreshold is the float 1e-35f (1.0000000180025095e-35 as a double).
constexpr double kLgbZeroThreshold = static_cast<double>(1e-35f);

inline uint32_t slowGoRightLgb(const Model& m, const SlowNode& s, double x) {
  const uint8_t fl = s.flags;
  if (fl & kFlagCategorical) {
    if (x != x) return 1u;
    const int32_t code = castInt(x);
    if (code < 0) return 1u;
    return inBitset(m.catBits.data(), s, static_cast<uint32_t>(code)) ? 0u : 1u;  // bit set goes left
  }
  const uint32_t defaultRight = (fl & kFlagDefaultLeft) ? 0u : 1u;
  if (x != x && !(fl & kFlagMissingNaN)) x = 0.0;
  if ((fl & kFlagMissingZero) && std::fabs(x) <= kLgbZeroThreshold) return defaultRight;
  if ((fl & kFlagMissingNaN) && x != x) return defaultRight;
  return x <= s.thr ? 0u : 1u;
}

// ---- Traversal ----------------------------------------------------------------------------------

// One level for one lane: node i, converted row `row` -> next node. (64-bit indices: no
// zero-extension on the address path.)
template <Rule R, class V, class N, class Ops, bool Slow>
GROVE_ALWAYS_INLINE uint64_t step(const Model& m, const N* __restrict nodes, uint64_t i, const char* row) {
  const N& n = nodes[i];
  const uint32_t fx = Ops::fx(n);
  // Flag bits are only set on slow nodes, which exist only when Slow.
  const V v = *reinterpret_cast<const V*>(row + (Slow ? fx & kFxOffsetMask : fx));  // the block holds V values
  if (Slow && (fx & kFxSlow)) {
    const SlowNode& sn = m.slow[Ops::slowIndex(n)];
    uint32_t second;
    if constexpr (R == Rule::XGBoost) second = slowGoRightXgb(m, sn, v);
    else second = slowGoRightLgb(m, sn, v);
    return i + Ops::delta(n) + second;
  }
  const uint64_t d = Ops::delta(n);
#if GROVE_ASM_STEP
  // ucomis sets CF exactly when v < thr or unordered (v NaN): next = i + delta + CF in one adc.
  uint64_t next = i;
  if constexpr (std::is_same_v<V, float>) {
    __asm__("ucomiss %[t], %[v]\n\tadcq %[d], %[i]" : [i] "+r"(next) : [v] "x"(v), [t] "m"(n.thr), [d] "r"(d) : "cc");
  } else {
    __asm__("ucomisd %[t], %[v]\n\tadcq %[d], %[i]" : [i] "+r"(next) : [v] "x"(v), [t] "m"(n.thr), [d] "r"(d) : "cc");
  }
  return next;
#else
  const uint64_t second = !(v >= n.thr);  // v < thr or v is NaN (see forest.h)
  return i + d + second;
#endif
}

// Advances W lanes (held in registers) `steps` levels.
template <Rule R, class V, class N, class Ops, bool Slow, unsigned W>
inline void traverseChunk(const Model& m, const N* __restrict nodes, uint32_t* __restrict idxIO,
                          const char* const* __restrict rowIO, unsigned steps) {
  uint64_t idx[W];
  const char* row[W];
#pragma GCC unroll 16
  for (unsigned k = 0; k < W; ++k) {
    idx[k] = idxIO[k];
    row[k] = rowIO[k];
  }
  for (unsigned s = 0; s < steps; ++s) {
#pragma GCC unroll 16
    for (unsigned k = 0; k < W; ++k) idx[k] = step<R, V, N, Ops, Slow>(m, nodes, idx[k], row[k]);
  }
#pragma GCC unroll 16
  for (unsigned k = 0; k < W; ++k) idxIO[k] = static_cast<uint32_t>(idx[k]);
}

// As traverseChunk when every lane reads the same row (one-row blocks: lanes are trees).
template <Rule R, class V, class N, class Ops, bool Slow, unsigned W>
inline void traverseChunkOneRow(const Model& m, const N* __restrict nodes, uint32_t* __restrict idxIO, const char* row,
                                unsigned steps) {
  uint64_t idx[W];
#pragma GCC unroll 16
  for (unsigned k = 0; k < W; ++k) idx[k] = idxIO[k];
  for (unsigned s = 0; s < steps; ++s) {
#pragma GCC unroll 16
    for (unsigned k = 0; k < W; ++k) idx[k] = step<R, V, N, Ops, Slow>(m, nodes, idx[k], row);
  }
#pragma GCC unroll 16
  for (unsigned k = 0; k < W; ++k) idxIO[k] = static_cast<uint32_t>(idx[k]);
}

// Advances lanes [0, L): idx[l] hot node, row[l] its row in the block, depth[l] levels to go
// (lanes of one chunk advance together by the chunk's largest depth; leaves loop onto themselves).
template <Rule R, class V, class N, class Ops, bool Slow>
void traverse(const Model& m, const N* nodes, uint32_t* idx, const char* const* row, const uint32_t* depth, unsigned L,
              bool oneRow) {
  unsigned l = 0;
  auto chunkSteps = [&](unsigned w) {
    uint32_t s = 0;
    for (unsigned k = 0; k < w; ++k) s = std::max(s, depth[l + k]);
    return s;
  };
  if (oneRow) {
    for (; l + kOneRowChunk <= L; l += kOneRowChunk) {
      traverseChunkOneRow<R, V, N, Ops, Slow, kOneRowChunk>(m, nodes, idx + l, row[0], chunkSteps(kOneRowChunk));
    }
  }
  for (; l + 16 <= L; l += 16) traverseChunk<R, V, N, Ops, Slow, 16>(m, nodes, idx + l, row + l, chunkSteps(16));
  if (l + 8 <= L) {
    traverseChunk<R, V, N, Ops, Slow, 8>(m, nodes, idx + l, row + l, chunkSteps(8));
    l += 8;
  }
  if (l + 4 <= L) {
    traverseChunk<R, V, N, Ops, Slow, 4>(m, nodes, idx + l, row + l, chunkSteps(4));
    l += 4;
  }
  for (; l < L; ++l) traverseChunk<R, V, N, Ops, Slow, 1>(m, nodes, idx + l, row + l, chunkSteps(1));
}

// ---- Leaf accumulation --------------------------------------------------------------------------

inline double inputAt(const Input& in, uint64_t row, uint32_t nf, uint32_t f) {
  const uint64_t k = row * nf + f;
  return in.isF32 ? static_cast<double>(static_cast<const float*>(in.data)[k]) : static_cast<const double*>(in.data)[k];
}

inline double linearLeaf(const Model& m, uint32_t g, const Input& in, uint64_t row) {
  double v = m.constant[g];
  for (int32_t j = m.termOffset[g]; j < m.termOffset[g + 1]; ++j) {
    const double xv = inputAt(in, row, m.numFeatures, static_cast<uint32_t>(m.termFeature[j]));
    if (xv != xv) return m.leafScalar[g];
    v += m.termCoeff[j] * xv;
  }
  return v;
}

// How leaf contributions are added to a row's sums.
//   F32:    XGBoost with float32 base scores: float sums, `a + c` in float32 is exactly the
//           reference's fround(a + c) on doubles holding float32 values.
//   F32Dbl: XGBoost with a base score that is not a float32 value: double sums, rounded to float32
//           after every add (the first add sees the double base score, as in the reference).
//   F64:    LightGBM: double sums.
enum class AccMode { F32, F32Dbl, F64 };

template <AccMode M>
struct Acc;
template <>
struct Acc<AccMode::F32> {
  using T = float;
  static float add(float a, float c) { return a + c; }
};
template <>
struct Acc<AccMode::F32Dbl> {
  using T = double;
  static double add(double a, float c) { return static_cast<double>(static_cast<float>(a + static_cast<double>(c))); }
};
template <>
struct Acc<AccMode::F64> {
  using T = double;
  static double add(double a, double c) { return a + c; }
};

// Adds the leaves reached by lanes [gi * nr, gi * nr + nr) (tree t0 + gi) to the block's row sums
// acc[r * K + j], trees in index order.
template <AccMode M, class N>
void accumulate(const Model& m, const N* nodes, uint32_t t0, unsigned g, unsigned nr, const uint32_t* idx,
                typename Acc<M>::T* acc, const Input& in, uint64_t row0) {
  using A = Acc<M>;
  using T = typename A::T;
  const unsigned K = m.numMargins;
  if (!m.vectorLeaves && !m.hasLinear) {
    // The contribution: in the leaf node (its threshold field) or, if some are NaN, in leafF / leafD.
    using C = std::conditional_t<M == AccMode::F64, double, float>;
    const C* cold = nullptr;
    if constexpr (M == AccMode::F64) cold = m.leafD.data();
    else cold = m.leafF.data();
    const bool inNode = m.leafInNode;
    auto leaf = [&](uint32_t hot) -> C { return inNode ? static_cast<C>(nodes[hot].thr) : cold[hot]; };
    if (K == 1) {
      for (unsigned r = 0; r < nr; ++r) {
        T a = acc[r];
        for (unsigned gi = 0; gi < g; ++gi) a = A::add(a, leaf(idx[gi * nr + r]));
        acc[r] = a;
      }
    } else {
      for (unsigned gi = 0; gi < g; ++gi) {
        T* o = acc + m.output[t0 + gi];
        const uint32_t* li = idx + gi * nr;
        for (unsigned r = 0; r < nr; ++r) o[r * K] = A::add(o[r * K], leaf(li[r]));
      }
    }
    return;
  }
  for (unsigned gi = 0; gi < g; ++gi) {
    const uint32_t t = t0 + gi;
    const uint32_t* li = idx + gi * nr;
    if (m.vectorLeaves) {
      for (unsigned r = 0; r < nr; ++r) {
        const size_t base = static_cast<size_t>(m.orig[li[r]]) * K;
        T* o = acc + static_cast<size_t>(r) * K;
        if constexpr (M == AccMode::F64) {
          for (unsigned j = 0; j < K; ++j) o[j] = A::add(o[j], m.vecD[base + j]);
        } else {
          for (unsigned j = 0; j < K; ++j) o[j] = A::add(o[j], m.vecF[base + j]);
        }
      }
    } else {
      const int32_t j = m.output[t];
      const double w = m.weight[t];
      for (unsigned r = 0; r < nr; ++r) {
        const double leaf = linearLeaf(m, m.orig[li[r]], in, row0 + r);
        T* o = acc + static_cast<size_t>(r) * K + j;
        if constexpr (M == AccMode::F64) *o = A::add(*o, leaf);
        else *o = A::add(*o, static_cast<float>(leaf * w));
      }
    }
  }
}

// ---- Blocks ---------------------------------------------------------------------------------------

// Copies rows [row0, row0 + nr) into the scratch block as V: per row nf values, +Inf, the nf values
// negated (stride 2 * nf + 1). For XGBoost V is float32: the conversion is fround.
template <class V>
void convertBlock(const Input& in, uint64_t row0, unsigned nr, uint32_t nf, V* block) {
  const size_t stride = 2 * static_cast<size_t>(nf) + 1;
  for (unsigned r = 0; r < nr; ++r) {
    V* dst = block + r * stride;
    V* neg = dst + nf + 1;
    const uint64_t off = (row0 + r) * nf;
    if (in.isF32) {
      const float* src = static_cast<const float*>(in.data) + off;
      for (uint32_t f = 0; f < nf; ++f) {
        const V v = static_cast<V>(src[f]);
        dst[f] = v;
        neg[f] = -v;
      }
    } else {
      const double* src = static_cast<const double*>(in.data) + off;
      for (uint32_t f = 0; f < nf; ++f) {
        const V v = static_cast<V>(src[f]);
        dst[f] = v;
        neg[f] = -v;
      }
    }
    dst[nf] = std::numeric_limits<V>::infinity();
  }
}

// Per-thread scratch: the converted row block and float32 row sums.
struct Scratch {
  std::vector<double> block;  // V values (double storage for alignment)
  std::vector<float> accF;
};

using BlockFn = void (*)(const Model&, const void* block, unsigned nr, uint32_t treeEnd, double* out, float* accF,
                         const Input& in, uint64_t row0);

template <Rule R, class V, class N, class Ops, bool Slow>
void scoreBlock(const Model& m, const void* blockRaw, unsigned nr, uint32_t treeEnd, double* out, float* accF,
                const Input& in, uint64_t row0) {
  const N* nodes;
  if constexpr (std::is_same_v<N, Node8>) nodes = m.n8.data();
  else if constexpr (std::is_same_v<N, NodeF>) nodes = m.nf.data();
  else nodes = m.nd.data();
  const size_t strideBytes = (2 * static_cast<size_t>(m.numFeatures) + 1) * sizeof(V);
  const unsigned K = m.numMargins;
  const AccMode mode = R == Rule::LightGBM ? AccMode::F64 : m.baseF32 ? AccMode::F32 : AccMode::F32Dbl;
  if (mode == AccMode::F32) {
    for (unsigned r = 0; r < nr; ++r)
      for (unsigned j = 0; j < K; ++j) accF[r * K + j] = static_cast<float>(m.baseScore[j]);
  }
  // Small blocks: several trees at once so enough traversals are in flight.
  const unsigned G = nr >= kLaneTarget ? 1 : (kLaneTarget + nr - 1) / nr;
  uint32_t idx[kMaxLanes];
  uint32_t depth[kMaxLanes];
  const char* row[kMaxLanes];
  const char* block = static_cast<const char*>(blockRaw);
  for (unsigned l = 0; l < G * nr; ++l) row[l] = block + (l % nr) * strideBytes;
  const uint32_t* roots = m.root.data();
  const uint32_t* depths = m.depth.data();
  for (uint32_t t0 = 0; t0 < treeEnd; t0 += G) {
    const unsigned g = std::min<uint32_t>(G, treeEnd - t0);
    for (unsigned gi = 0; gi < g; ++gi) {
      const uint32_t root = roots[t0 + gi];
      const uint32_t d = depths[t0 + gi];
      for (unsigned r = 0; r < nr; ++r) {
        idx[gi * nr + r] = root;
        depth[gi * nr + r] = d;
      }
    }
    traverse<R, V, N, Ops, Slow>(m, nodes, idx, row, depth, g * nr, nr == 1);
    switch (mode) {
      case AccMode::F32:
        accumulate<AccMode::F32>(m, nodes, t0, g, nr, idx, accF, in, row0);
        break;
      case AccMode::F32Dbl:
        accumulate<AccMode::F32Dbl>(m, nodes, t0, g, nr, idx, out, in, row0);
        break;
      case AccMode::F64:
        accumulate<AccMode::F64>(m, nodes, t0, g, nr, idx, out, in, row0);
        break;
    }
  }
  if (mode == AccMode::F32) {
    for (size_t i = 0; i < static_cast<size_t>(nr) * K; ++i) out[i] = static_cast<double>(accF[i]);
  }
}

BlockFn pickKernel(const Model& m) {
  switch (m.layout) {
    case Layout::Compact8:
      return m.hasSlow ? &scoreBlock<Rule::XGBoost, float, Node8, Ops8, true> : &scoreBlock<Rule::XGBoost, float, Node8, Ops8, false>;
    case Layout::WideF:
      return m.hasSlow ? &scoreBlock<Rule::XGBoost, float, NodeF, OpsF, true> : &scoreBlock<Rule::XGBoost, float, NodeF, OpsF, false>;
    case Layout::WideD:
    default:
      return m.hasSlow ? &scoreBlock<Rule::LightGBM, double, NodeD, OpsD, true> : &scoreBlock<Rule::LightGBM, double, NodeD, OpsD, false>;
  }
}

template <class V>
void scoreRangeT(const Model& m, const Input& in, uint64_t r0, uint64_t r1, uint32_t treeEnd, double* out) {
  const unsigned K = m.numMargins;
  const uint32_t nf = m.numFeatures;
  const size_t rowBytes = (2 * static_cast<size_t>(nf) + 1) * sizeof(V);
  const unsigned blockRows = static_cast<unsigned>(std::clamp<size_t>(kScratchBudget / rowBytes, 1, kBlockRows));
  thread_local Scratch scratch;  // reused across calls on this thread
  const size_t words = (blockRows * rowBytes + sizeof(double) - 1) / sizeof(double);
  if (scratch.block.size() < words) scratch.block.resize(words);
  if (scratch.accF.size() < static_cast<size_t>(blockRows) * K) scratch.accF.resize(static_cast<size_t>(blockRows) * K);
  V* block = reinterpret_cast<V*>(scratch.block.data());
  const BlockFn kernel = pickKernel(m);
  for (uint64_t r = r0; r < r1; r += blockRows) {
    const unsigned nr = static_cast<unsigned>(std::min<uint64_t>(blockRows, r1 - r));
    double* o = out + r * K;
    for (unsigned i = 0; i < nr; ++i) std::memcpy(o + static_cast<size_t>(i) * K, m.baseScore.data(), K * sizeof(double));
    if (treeEnd == 0) continue;
    convertBlock<V>(in, r, nr, nf, block);
    kernel(m, block, nr, treeEnd, o, scratch.accF.data(), in, r);
  }
}

void scoreRange(const Model& m, const Input& in, uint64_t r0, uint64_t r1, uint32_t treeEnd, double* out) {
  if (m.rule == Rule::XGBoost) scoreRangeT<float>(m, in, r0, r1, treeEnd, out);
  else scoreRangeT<double>(m, in, r0, r1, treeEnd, out);
}

}  // namespace

void setMinWorkPerThread(uint64_t work) { gMinWorkPerThread.store(work == 0 ? 1 : work, std::memory_order_relaxed); }

unsigned hardwareThreads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

void scoreRows(const Model& m, const Input& in, uint64_t rows, uint32_t treeEnd, double* out, unsigned threads) {
  if (rows == 0) return;
  const uint64_t trees = std::max<uint64_t>(treeEnd, 1);
  const uint64_t work = rows > UINT64_MAX / trees ? UINT64_MAX : rows * trees;
  const uint64_t useful = std::max<uint64_t>(1, work / gMinWorkPerThread.load(std::memory_order_relaxed));
  if (threads > useful) threads = static_cast<unsigned>(useful);
  if (threads <= 1) {
    scoreRange(m, in, 0, rows, treeEnd, out);
    return;
  }
  // Chunks of whole blocks, several per thread so threads that finish early take more.
  uint64_t chunk = (rows + uint64_t{threads} * 8 - 1) / (uint64_t{threads} * 8);
  chunk = std::max<uint64_t>(kBlockRows, (chunk + kBlockRows - 1) / kBlockRows * kBlockRows);
  const uint64_t chunks = (rows + chunk - 1) / chunk;
  const std::function<void(size_t)> fn = [&](size_t c) {
    const uint64_t a = c * chunk;
    const uint64_t b = std::min<uint64_t>(rows, a + chunk);
    scoreRange(m, in, a, b, treeEnd, out);
  };
  ThreadPool::instance().parallelFor(static_cast<size_t>(chunks), threads, fn);
}

}  // namespace grove
