// grove native core: the scoring layout of a tree ensemble and the builder that validates a Forest IR
// (src/formats/ir.ts) and re-lays it out for speed.
//
// Nothing here trusts its input: every index of the IR is checked before it is used, and a model that
// fails a check is refused with a message naming the tree and node. No N-API types appear here, so the
// core can be built and fuzzed on its own (native/test, CMakeLists.txt).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <vector>

namespace grove {

enum class Rule : uint8_t { XGBoost = 0, LightGBM = 1 };

// IR node flag bits (src/formats/ir.ts).
constexpr uint8_t kFlagDefaultLeft = 1;
constexpr uint8_t kFlagCategorical = 2;
constexpr uint8_t kFlagMissingZero = 4;
constexpr uint8_t kFlagMissingNaN = 8;

// Limits (the TS validator's LIMITS, src/formats/validate.ts; the native core enforces them again).
constexpr int64_t kMaxFeatures = int64_t{1} << 20;
constexpr int64_t kMaxOutputs = int64_t{1} << 12;
constexpr int64_t kMaxTrees = int64_t{1} << 22;
constexpr int64_t kMaxNodes = int64_t{1} << 28;
constexpr int64_t kMaxCategoryBits = int64_t{1} << 24;
constexpr int64_t kMaxLinearTerms = int64_t{1} << 30;

// A read-only view of one IR array (borrowed for the duration of buildModel only).
template <class T>
struct View {
  const T* data = nullptr;
  size_t size = 0;
  const T& operator[](size_t i) const { return data[i]; }
};

// The Forest IR's arrays, as handed over by the binding (or a C++ test).
struct ForestSpec {
  Rule rule = Rule::XGBoost;
  int64_t numFeatures = 0;
  int64_t numMargins = 0;
  int64_t leafWidth = 0;
  int64_t treeCount = 0;
  View<double> baseScore;
  View<int32_t> nodeOffset;  // treeCount + 1
  View<int32_t> output;      // treeCount
  View<double> weight;       // treeCount
  View<int32_t> feature;
  View<double> threshold;
  View<int32_t> left;
  View<int32_t> right;
  View<uint8_t> flags;
  View<int32_t> catStart;
  View<int32_t> catWords;
  View<double> leafValue;  // total * leafWidth
  View<uint32_t> catBits;
  bool hasLinear = false;
  View<int32_t> termOffset;  // total + 1
  View<int32_t> termFeature;
  View<double> termCoeff;
  View<double> constant;  // total
  // Testing aid: use the wide XGBoost layout even when the compact one fits.
  bool forceWide = false;
};

// ---- Hot node formats ---------------------------------------------------------------------------
//
// Rows are scored from a converted copy: numFeatures values (float32 for XGBoost, whose test is
// fround(x) < t; double for LightGBM), the constant +Inf, then the same values negated.
//
// Each tree is laid out breadth-first with the two children of a node adjacent, so the next node is
// `index + delta + second` where delta is the distance to the first child and, for every fast node,
//     second = !(v >= thr)      (true when v < thr or v is NaN: one ucomis, one adc)
// The builder picks, per node, which value v is (x, -x or the constant), the threshold and which
// child comes first so that this one test reproduces the rule exactly, NaN direction included:
//   NaN goes left:  children (right, left), v = x,  thr = t (XGBoost) / next double above t (LightGBM)
//   NaN goes right: children (left, right), v = -x, thr = -(float below t) (XGBoost) / -t (LightGBM)
//   always second:  v = +Inf, thr = NaN
// Leaves are nodes too: v = +Inf, delta 0 and a threshold that is not NaN (never second), so a leaf
// loops onto itself and a traversal is a fixed number of branch-free steps (the tree's depth) with no
// leaf test. A scalar leaf's threshold field holds its contribution (XGBoost fround(leaf * weight),
// LightGBM leaf), read once the traversal ends, from the cache line just visited.
//
// `fx` holds the byte offset of v in the converted row (its two low bits are free) and:
//   bit 1: slow node (categorical, LightGBM missing type Zero or NaN threshold): evaluated by the
//          reference's logic on x; the threshold field holds an index into Model::slow; children
//          (left, right), second = right.
constexpr uint32_t kFxSlow = 2u;
constexpr uint32_t kFxOffsetMask = ~3u;

// XGBoost, compact: 8 bytes (fx < 2^16: at most 8191 features; delta < 2^16).
struct Node8 {
  float thr;
  uint16_t fx;
  uint16_t delta;
};
constexpr uint32_t kNode8MaxDelta = 0xFFFFu;
constexpr uint32_t kNode8MaxFx = 0xFFFCu;
// XGBoost when the compact form does not fit: 12 bytes.
struct NodeF {
  float thr;
  uint32_t fx;
  uint32_t delta;
};
// LightGBM (double thresholds): 16 bytes.
struct NodeD {
  double thr;
  uint32_t fx;
  uint32_t delta;
};

// Rare node kinds, evaluated exactly as the reference does (src/engine/reference.ts).
struct SlowNode {
  double thr;
  uint32_t catStart;
  uint32_t catWords;
  uint8_t flags;
};

enum class Layout : uint8_t { Compact8 = 0, WideF = 1, WideD = 2 };

// Cache-line aligned storage for hot nodes (trees start on a line, so a tree's top levels share one).
template <class T>
struct AlignedAllocator {
  using value_type = T;
  static constexpr std::size_t kAlign = 64;
  template <class U>
  struct rebind {
    using other = AlignedAllocator<U>;
  };
  AlignedAllocator() = default;
  template <class U>
  AlignedAllocator(const AlignedAllocator<U>&) {}
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t(kAlign))); }
  void deallocate(T* p, std::size_t) { ::operator delete(p, std::align_val_t(kAlign)); }
  template <class U>
  bool operator==(const AlignedAllocator<U>&) const { return true; }
  template <class U>
  bool operator!=(const AlignedAllocator<U>&) const { return false; }
};
template <class T>
using AlignedVector = std::vector<T, AlignedAllocator<T>>;

struct Model {
  Rule rule = Rule::XGBoost;
  Layout layout = Layout::Compact8;
  uint32_t numFeatures = 0;
  uint32_t numMargins = 0;
  uint32_t leafWidth = 1;
  uint32_t numTrees = 0;
  bool hasSlow = false;
  bool hasLinear = false;     // linear leaves in use (leafWidth == 1 only, as in the reference)
  bool vectorLeaves = false;
  bool leafInNode = false;    // scalar leaf contributions live in the leaf nodes' threshold field
  bool baseF32 = false;       // XGBoost: every base score is a float32 value (accumulate in float32)

  std::vector<double> baseScore;
  // Per tree.
  std::vector<uint32_t> root;   // hot index of the root
  std::vector<uint32_t> depth;  // edges from the root to the deepest leaf
  std::vector<int32_t> output;  // output of a scalar-leaf tree (-1 for vector leaves)
  std::vector<double> weight;
  // Hot nodes (one of these is filled, per layout); trees may be separated by unused padding nodes.
  AlignedVector<Node8> n8;
  AlignedVector<NodeF> nf;
  AlignedVector<NodeD> nd;
  // Scalar leaves whose contribution is NaN (not storable in a leaf node): all contributions here,
  // indexed by hot index. XGBoost fround(leaf * weight), LightGBM leaf.
  std::vector<float> leafF;
  std::vector<double> leafD;
  // Vector / linear leaves: hot index -> IR global node index, and per-IR-node data.
  std::vector<uint32_t> orig;
  std::vector<float> vecF;   // XGBoost vector leaves: fround(leafValue[g*K+j] * weight)
  std::vector<double> vecD;  // LightGBM vector leaves: leafValue[g*K+j]
  std::vector<SlowNode> slow;
  std::vector<uint32_t> catBits;
  // Linear leaves (IR arrays, validated).
  std::vector<int32_t> termOffset;
  std::vector<int32_t> termFeature;
  std::vector<double> termCoeff;
  std::vector<double> constant;
  std::vector<double> leafScalar;  // IR leafValue (the NaN fallback)

  size_t totalNodes() const { return layout == Layout::Compact8 ? n8.size() : layout == Layout::WideF ? nf.size() : nd.size(); }
  size_t bytes() const;
};

// Validates `spec` and builds the scoring layout. On failure returns nullptr and sets *error.
// Never throws except std::bad_alloc.
std::shared_ptr<const Model> buildModel(const ForestSpec& spec, std::string* error);

}  // namespace grove
