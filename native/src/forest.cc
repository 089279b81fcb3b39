// Validation of a Forest IR and construction of the scoring layout (see forest.h).
#include "forest.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace grove {

namespace {

std::string treeNode(int64_t t, int64_t node) {
  return "tree " + std::to_string(t) + " node " + std::to_string(node);
}

// The smallest float >= t (NaN -> -Inf). For any float f: f < t  <=>  f < ceilToFloat(t), so an
// XGBoost threshold that is not a float32 value (a reader never produces one, but the reference
// engine accepts it) still compares exactly as the reference's `fround(x) < t` in double.
float ceilToFloat(double t) {
  if (std::isnan(t)) return -std::numeric_limits<float>::infinity();
  float f = static_cast<float>(t);
  if (static_cast<double>(f) < t) f = std::nextafter(f, std::numeric_limits<float>::infinity());
  return f;
}

// How a fast node is evaluated (see forest.h): the kernel computes `second = !(v >= thr)` where v is
// the row's value (read = kReadX), its negation (kReadNeg) or the constant +Inf (kReadConst, with a
// NaN threshold: always second), and goes to the first or second child of an adjacent pair. `swap`
// puts the left child second.
enum Read : uint8_t { kReadX = 0, kReadNeg = 1, kReadConst = 2 };
struct Encoding {
  bool slow = false;
  bool swap = false;
  Read read = kReadX;
  double thr = 0;
};

Encoding encodeNode(Rule rule, uint8_t fl, double t) {
  Encoding e;
  const double inf = std::numeric_limits<double>::infinity();
  if (rule == Rule::XGBoost) {
    // left iff fround(x) < t; NaN -> default direction.
    if (fl & kFlagCategorical) {
      e.slow = true;
      return e;
    }
    const float tc = ceilToFloat(t);  // fround(x) < t  <=>  fround(x) < tc
    if (fl & kFlagDefaultLeft) {
      e.swap = true;  // second = left  <=>  !(x >= tc): x < tc or NaN
      e.thr = tc;
    } else if (tc == -std::numeric_limits<float>::infinity()) {
      e.read = kReadConst;  // never left: always the second (right) child, NaN included
      e.thr = std::numeric_limits<double>::quiet_NaN();
    } else {
      // second = right  <=>  x >= tc or NaN  <=>  !(-x >= -prev(tc))  (x >= tc <=> x > prev(tc))
      e.read = kReadNeg;
      e.thr = -std::nextafter(tc, -std::numeric_limits<float>::infinity());
    }
    return e;
  }
  // LightGBM: left iff x <= t; NaN -> default (missing NaN) or as 0.0 (missing None).
  if ((fl & (kFlagCategorical | kFlagMissingZero)) || std::isnan(t)) {
    e.slow = true;
    return e;
  }
  const bool nanLeft = (fl & kFlagMissingNaN) ? (fl & kFlagDefaultLeft) != 0 : (0.0 <= t);
  if (nanLeft) {
    e.swap = true;  // second = left  <=>  x <= t or NaN  <=>  !(x >= next(t))
    if (t == inf) {
      e.read = kReadConst;  // always left (second), NaN included
      e.thr = std::numeric_limits<double>::quiet_NaN();
    } else {
      e.thr = std::nextafter(t, inf);
    }
  } else {
    e.read = kReadNeg;  // second = right  <=>  x > t or NaN  <=>  !(-x >= -t)
    e.thr = -t;
  }
  return e;
}

}  // namespace

size_t Model::bytes() const {
  return sizeof(Model) + baseScore.size() * 8 + root.size() * 4 + depth.size() * 4 + output.size() * 4 +
         weight.size() * 8 + n8.size() * sizeof(Node8) + nf.size() * sizeof(NodeF) + nd.size() * sizeof(NodeD) +
         leafF.size() * 4 + leafD.size() * 8 + orig.size() * 4 + vecF.size() * 4 + vecD.size() * 8 +
         slow.size() * sizeof(SlowNode) + catBits.size() * 4 + termOffset.size() * 4 + termFeature.size() * 4 +
         termCoeff.size() * 8 + constant.size() * 8 + leafScalar.size() * 8;
}

std::shared_ptr<const Model> buildModel(const ForestSpec& s, std::string* error) {
  auto fail = [error](const std::string& msg) -> std::shared_ptr<const Model> {
    *error = msg;
    return nullptr;
  };

  // ---- Model-level numbers and array sizes -------------------------------------------------------
  if (s.rule != Rule::XGBoost && s.rule != Rule::LightGBM) return fail("unknown split rule");
  if (s.numFeatures < 0 || s.numFeatures > kMaxFeatures) {
    return fail("number of features " + std::to_string(s.numFeatures) + " is not in [0, " + std::to_string(kMaxFeatures) + "]");
  }
  if (s.numMargins < 1 || s.numMargins > kMaxOutputs) {
    return fail("number of outputs " + std::to_string(s.numMargins) + " is not in [1, " + std::to_string(kMaxOutputs) + "]");
  }
  if (s.leafWidth != 1 && s.leafWidth != s.numMargins) {
    return fail("leaf width " + std::to_string(s.leafWidth) + " is neither 1 nor the number of outputs " + std::to_string(s.numMargins));
  }
  if (s.treeCount < 0 || s.treeCount > kMaxTrees) {
    return fail("number of trees " + std::to_string(s.treeCount) + " is not in [0, " + std::to_string(kMaxTrees) + "]");
  }
  const size_t T = static_cast<size_t>(s.treeCount);
  if (s.baseScore.size != static_cast<size_t>(s.numMargins)) {
    return fail(std::to_string(s.baseScore.size) + " base scores for " + std::to_string(s.numMargins) + " outputs");
  }
  if (s.nodeOffset.size != T + 1 || s.output.size != T || s.weight.size != T) {
    return fail("per-tree arrays do not match the number of trees");
  }
  if (s.nodeOffset[0] != 0) return fail("node offsets must start at 0");
  const int64_t totalSigned = s.nodeOffset[T];
  if (totalSigned < 0 || totalSigned > kMaxNodes) {
    return fail("total node count " + std::to_string(totalSigned) + " is not in [0, " + std::to_string(kMaxNodes) + "]");
  }
  const size_t total = static_cast<size_t>(totalSigned);
  struct Named {
    const char* name;
    size_t size;
  };
  const Named perNode[] = {{"feature", s.feature.size}, {"threshold", s.threshold.size}, {"left", s.left.size},
                           {"right", s.right.size},     {"flags", s.flags.size},         {"catStart", s.catStart.size},
                           {"catWords", s.catWords.size}};
  for (const Named& a : perNode) {
    if (a.size != total) {
      return fail(std::string("node array ") + a.name + " has " + std::to_string(a.size) + " entries for " + std::to_string(total) + " nodes");
    }
  }
  const size_t width = static_cast<size_t>(s.leafWidth);
  if (s.leafValue.size != total * width) {
    return fail("leaf values hold " + std::to_string(s.leafValue.size) + " entries for " + std::to_string(total) + " nodes x width " +
                std::to_string(width));
  }
  if (s.catBits.size > static_cast<size_t>(std::numeric_limits<uint32_t>::max())) return fail("category bitsets are too large");
  if (s.hasLinear) {
    if (s.termOffset.size != total + 1 || s.constant.size != total || s.termOffset[0] != 0) {
      return fail("linear leaf arrays do not match the number of nodes");
    }
    if (s.termFeature.size != s.termCoeff.size || s.termFeature.size > static_cast<size_t>(kMaxLinearTerms) ||
        s.termOffset[total] != static_cast<int64_t>(s.termFeature.size)) {
      return fail("linear leaf terms are inconsistent");
    }
    for (size_t g = 0; g < total; ++g) {
      if (s.termOffset[g + 1] < s.termOffset[g]) return fail("node " + std::to_string(g) + ": linear leaf term offsets decrease");
    }
    for (size_t j = 0; j < s.termFeature.size; ++j) {
      const int32_t f = s.termFeature[j];
      if (f < 0 || f >= s.numFeatures) {
        return fail("linear leaves: term " + std::to_string(j) + " uses feature " + std::to_string(f) + ", model has " +
                    std::to_string(s.numFeatures));
      }
    }
  }
  for (size_t t = 0; t < T; ++t) {
    const int32_t a = s.nodeOffset[t];
    const int32_t b = s.nodeOffset[t + 1];
    if (b <= a || b > totalSigned) {
      return fail("tree " + std::to_string(t) + ": node offsets " + std::to_string(a) + ".." + std::to_string(b) +
                  " give no nodes or leave [0, " + std::to_string(total) + "]");
    }
    const int32_t out = s.output[t];
    if (width == 1 ? (out < 0 || out >= s.numMargins) : out != -1) {
      return fail("tree " + std::to_string(t) + ": output index " + std::to_string(out) + " is out of range for " +
                  std::to_string(s.numMargins) + " outputs");
    }
  }

  // ---- Walk every tree breadth-first: checks indices, that each node is reached exactly once, and
  // gives the layout order (children adjacent) and each node's depth. ---------------------------------
  auto m = std::make_shared<Model>();
  m->rule = s.rule;
  m->numFeatures = static_cast<uint32_t>(s.numFeatures);
  m->numMargins = static_cast<uint32_t>(s.numMargins);
  m->leafWidth = static_cast<uint32_t>(width);
  m->numTrees = static_cast<uint32_t>(T);
  m->vectorLeaves = width > 1;
  m->hasLinear = s.hasLinear && width == 1;
  m->baseScore.assign(s.baseScore.data, s.baseScore.data + s.baseScore.size);
  m->baseF32 = true;
  for (const double b : m->baseScore) {
    if (!(static_cast<double>(static_cast<float>(b)) == b) && !std::isnan(b)) m->baseF32 = false;
  }
  m->root.resize(T);
  m->depth.resize(T);
  m->output.assign(s.output.data, s.output.data + T);
  m->weight.assign(s.weight.data, s.weight.data + T);

  std::vector<uint32_t> order(total);      // order[base + position] = tree-local IR node
  std::vector<uint32_t> level(total);      // depth of the node at each position
  std::vector<uint8_t> seen(total, 0);
  uint32_t maxDelta = 0;
  for (size_t t = 0; t < T; ++t) {
    const uint32_t base = static_cast<uint32_t>(s.nodeOffset[t]);
    const uint32_t n = static_cast<uint32_t>(s.nodeOffset[t + 1]) - base;
    uint32_t* ord = order.data() + base;
    uint32_t* lev = level.data() + base;
    uint32_t filled = 1;
    ord[0] = 0;
    lev[0] = 0;
    seen[base] = 1;
    uint32_t deepest = 0;
    for (uint32_t p = 0; p < filled; ++p) {
      const uint32_t node = ord[p];
      const size_t g = base + node;
      const int32_t l = s.left[g];
      const int32_t r = s.right[g];
      if (l == -1 && r == -1) {
        if (lev[p] > deepest) deepest = lev[p];
        continue;
      }
      if (l < 0 || static_cast<uint32_t>(l) >= n) {
        return fail(treeNode(t, node) + ": left child " + std::to_string(l) + " is out of range [0, " + std::to_string(n) + ")");
      }
      if (r < 0 || static_cast<uint32_t>(r) >= n) {
        return fail(treeNode(t, node) + ": right child " + std::to_string(r) + " is out of range [0, " + std::to_string(n) + ")");
      }
      const int32_t f = s.feature[g];
      if (f < 0 || f >= s.numFeatures) {
        return fail(treeNode(t, node) + ": split feature " + std::to_string(f) + " is out of range [0, " + std::to_string(s.numFeatures) + ")");
      }
      if (s.flags[g] & kFlagCategorical) {
        const int64_t cs = s.catStart[g];
        const int64_t cw = s.catWords[g];
        if (cs < 0 || cw < 0 || cs + cw > static_cast<int64_t>(s.catBits.size) || cw * 32 > kMaxCategoryBits) {
          return fail(treeNode(t, node) + ": category bitset [" + std::to_string(cs) + ", " + std::to_string(cs + cw) +
                      ") is out of range [0, " + std::to_string(s.catBits.size) + ")");
        }
      }
      const bool swap = encodeNode(s.rule, s.flags[g], s.threshold[g]).swap;
      for (const int32_t c : {swap ? r : l, swap ? l : r}) {
        if (seen[base + static_cast<uint32_t>(c)]) {
          return fail(treeNode(t, c) + ": is reached twice (cycle or shared child)");
        }
        seen[base + static_cast<uint32_t>(c)] = 1;
        ord[filled] = static_cast<uint32_t>(c);
        lev[filled] = lev[p] + 1;
        ++filled;
      }
      const uint32_t delta = filled - 2 - p;
      if (delta > maxDelta) maxDelta = delta;
    }
    if (filled != n) {
      return fail("tree " + std::to_string(t) + ": " + std::to_string(n - filled) + " of its " + std::to_string(n) +
                  " nodes are not reachable from the root");
    }
    m->depth[t] = deepest;
  }

  // ---- Choose the hot node format -------------------------------------------------------------------
  // A converted row holds numFeatures values, the constant +Inf, then the numFeatures values negated.
  const uint32_t valueBytes = s.rule == Rule::XGBoost ? 4 : 8;
  const uint64_t rowBytes = (2 * uint64_t{m->numFeatures} + 1) * valueBytes;
  if (s.rule == Rule::LightGBM) {
    m->layout = Layout::WideD;
  } else if (!s.forceWide && rowBytes - valueBytes <= kNode8MaxFx && maxDelta <= kNode8MaxDelta) {
    m->layout = Layout::Compact8;
  } else {
    m->layout = Layout::WideF;
  }
  // Hot positions: each tree of 8+ nodes starts on a 64-byte line (its top three levels share it).
  const size_t nodeBytes = m->layout == Layout::Compact8 ? sizeof(Node8) : m->layout == Layout::WideF ? sizeof(NodeF) : sizeof(NodeD);
  const size_t perLine = m->layout == Layout::WideF ? 16 : 64 / nodeBytes;  // WideF: 16 nodes = 3 lines
  size_t hotTotal = 0;
  for (size_t t = 0; t < T; ++t) {
    const size_t n = static_cast<size_t>(s.nodeOffset[t + 1] - s.nodeOffset[t]);
    if (n >= 8) hotTotal = (hotTotal + perLine - 1) / perLine * perLine;
    m->root[t] = static_cast<uint32_t>(hotTotal);
    hotTotal += n;
  }
  if (hotTotal > static_cast<size_t>(std::numeric_limits<uint32_t>::max())) return fail("too many nodes after layout");
  if (m->layout == Layout::Compact8) m->n8.assign(hotTotal, Node8{0.0f, 0, 0});
  if (m->layout == Layout::WideF) m->nf.assign(hotTotal, NodeF{0.0f, 0, 0});
  if (m->layout == Layout::WideD) m->nd.assign(hotTotal, NodeD{0.0, 0, 0});
  const bool scalarLeaves = !m->vectorLeaves && !m->hasLinear;
  // A leaf node's threshold holds its contribution unless one is NaN (a NaN threshold would move it).
  if (scalarLeaves) {
    m->leafInNode = true;
    for (size_t t = 0; t < T && m->leafInNode; ++t) {
      for (size_t g = static_cast<size_t>(s.nodeOffset[t]); g < static_cast<size_t>(s.nodeOffset[t + 1]); ++g) {
        if (s.left[g] != -1) continue;
        const double c = s.rule == Rule::XGBoost ? static_cast<double>(static_cast<float>(s.leafValue[g] * s.weight[t])) : s.leafValue[g];
        if (std::isnan(c)) {
          m->leafInNode = false;
          break;
        }
      }
    }
    if (!m->leafInNode) {
      if (s.rule == Rule::XGBoost) m->leafF.assign(hotTotal, 0.0f);
      else m->leafD.assign(hotTotal, 0.0);
    }
  } else {
    m->orig.assign(hotTotal, 0);
  }
  m->catBits.assign(s.catBits.data, s.catBits.data + s.catBits.size);

  const uint32_t constOffset = m->numFeatures * valueBytes;
  for (size_t t = 0; t < T; ++t) {
    const uint32_t base = static_cast<uint32_t>(s.nodeOffset[t]);
    const uint32_t n = static_cast<uint32_t>(s.nodeOffset[t + 1]) - base;
    const uint32_t hotBase = m->root[t];
    // Children of the inner node at position p sit at positions nextChild, nextChild + 1 (BFS order).
    uint32_t nextChild = 1;
    for (uint32_t p = 0; p < n; ++p) {
      const uint32_t node = order[base + p];
      const size_t g = base + node;
      const uint32_t hot = hotBase + p;
      const bool leaf = s.left[g] == -1;
      // Leaves read the constant +Inf with a threshold that is not NaN: never second, delta 0.
      uint32_t offset = constOffset;
      uint32_t delta = 0;
      double thr = 0.0;
      uint32_t slowIndex = 0;
      bool slow = false;
      if (!leaf) {
        const uint32_t feature = static_cast<uint32_t>(s.feature[g]);
        delta = nextChild - p;
        nextChild += 2;
        const uint8_t fl = s.flags[g];
        const Encoding e = encodeNode(s.rule, fl, s.threshold[g]);
        slow = e.slow;
        if (slow) {
          SlowNode sn;
          sn.thr = s.threshold[g];
          sn.catStart = (fl & kFlagCategorical) ? static_cast<uint32_t>(s.catStart[g]) : 0;
          sn.catWords = (fl & kFlagCategorical) ? static_cast<uint32_t>(s.catWords[g]) : 0;
          sn.flags = fl;
          slowIndex = static_cast<uint32_t>(m->slow.size());
          m->slow.push_back(sn);
          m->hasSlow = true;
          offset = feature * valueBytes;
        } else {
          thr = e.thr;
          offset = e.read == kReadX ? feature * valueBytes : e.read == kReadNeg ? (m->numFeatures + 1 + feature) * valueBytes : constOffset;
        }
      } else if (scalarLeaves) {
        const double c = s.rule == Rule::XGBoost ? static_cast<double>(static_cast<float>(s.leafValue[g] * s.weight[t])) : s.leafValue[g];
        if (m->leafInNode) thr = c;
        else if (s.rule == Rule::XGBoost) m->leafF[hot] = static_cast<float>(c);
        else m->leafD[hot] = c;
      } else {
        m->orig[hot] = static_cast<uint32_t>(g);
      }
      const uint32_t fx = offset | (slow ? kFxSlow : 0u);
      switch (m->layout) {
        case Layout::Compact8: {
          Node8& nd = m->n8[hot];
          nd.thr = static_cast<float>(thr);  // exact: XGBoost thresholds and contributions are float32 values here
          if (slow) std::memcpy(&nd.thr, &slowIndex, sizeof slowIndex);
          nd.fx = static_cast<uint16_t>(fx);
          nd.delta = static_cast<uint16_t>(delta);
          break;
        }
        case Layout::WideF: {
          NodeF& nd = m->nf[hot];
          nd.thr = static_cast<float>(thr);
          if (slow) std::memcpy(&nd.thr, &slowIndex, sizeof slowIndex);
          nd.fx = fx;
          nd.delta = delta;
          break;
        }
        case Layout::WideD: {
          NodeD& nd = m->nd[hot];
          nd.thr = thr;
          if (slow) {
            const uint64_t bits = slowIndex;
            std::memcpy(&nd.thr, &bits, sizeof bits);
          }
          nd.fx = fx;
          nd.delta = delta;
          break;
        }
      }
    }
  }

  if (m->vectorLeaves) {
    const size_t n = total * width;
    if (s.rule == Rule::XGBoost) {
      m->vecF.assign(n, 0.0f);
      for (size_t t = 0; t < T; ++t) {
        const double w = s.weight[t];
        for (size_t g = static_cast<size_t>(s.nodeOffset[t]); g < static_cast<size_t>(s.nodeOffset[t + 1]); ++g) {
          for (size_t j = 0; j < width; ++j) m->vecF[g * width + j] = static_cast<float>(s.leafValue[g * width + j] * w);
        }
      }
    } else {
      m->vecD.assign(s.leafValue.data, s.leafValue.data + n);
    }
  }
  if (m->hasLinear) {
    m->termOffset.assign(s.termOffset.data, s.termOffset.data + s.termOffset.size);
    m->termFeature.assign(s.termFeature.data, s.termFeature.data + s.termFeature.size);
    m->termCoeff.assign(s.termCoeff.data, s.termCoeff.data + s.termCoeff.size);
    m->constant.assign(s.constant.data, s.constant.data + s.constant.size);
    m->leafScalar.assign(s.leafValue.data, s.leafValue.data + s.leafValue.size);
  }
  return m;
}

}  // namespace grove
