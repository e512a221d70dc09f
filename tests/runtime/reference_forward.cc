#include "reference_forward.h"

#include <cmath>

#include "core/half.h"
#include "core/rng.h"
#include "kernels/matmul.h"

namespace lieq::testing {
namespace {

using Vec = std::vector<double>;

Vec Row(const TensorView& w, int64_t r) {
  std::vector<float> f(static_cast<size_t>(w.cols()));
  RowToF32(w, r, f.data());
  return Vec(f.begin(), f.end());
}

// y = W x (+ b)
Vec Apply(const Linear& l, const Vec& x) {
  Vec y(static_cast<size_t>(l.w.rows()));
  for (int64_t o = 0; o < l.w.rows(); ++o) {
    const Vec row = Row(l.w, o);
    double acc = 0;
    for (size_t i = 0; i < x.size(); ++i) acc += row[i] * x[i];
    if (l.bias.data != nullptr) acc += l.bias.F32()[static_cast<size_t>(o)];
    y[static_cast<size_t>(o)] = acc;
  }
  return y;
}

Vec RmsNorm(const Vec& x, const TensorView& w, double eps) {
  double ss = 0;
  for (double v : x) ss += v * v;
  const double inv = 1.0 / std::sqrt(ss / static_cast<double>(x.size()) + eps);
  Vec y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] * inv * w.F32()[i];
  return y;
}

// HF rotate_half: x·cos + rotate_half(x)·sin, rotate_half(x) = [-x2, x1].
void Rope(double* head, int64_t hd, int64_t pos, const std::vector<double>& inv_freq) {
  const int64_t half = hd / 2;
  Vec out(static_cast<size_t>(hd));
  for (int64_t i = 0; i < hd; ++i) {
    const double angle = static_cast<double>(pos) * inv_freq[static_cast<size_t>(i % half)];
    const double rotated = i < half ? -head[i + half] : head[i - half];
    out[static_cast<size_t>(i)] = head[i] * std::cos(angle) + rotated * std::sin(angle);
  }
  for (int64_t i = 0; i < hd; ++i) head[i] = out[static_cast<size_t>(i)];
}

}  // namespace

ModelConfig TinyConfig(Arch arch) {
  ModelConfig c;
  c.arch = arch;
  c.vocab_size = 97;
  c.hidden_size = 48;
  c.intermediate_size = 80;
  c.num_layers = 3;
  c.num_heads = 6;
  c.num_kv_heads = 2;
  c.head_dim = 16;  // q_dim 96 != hidden: catches code that assumes H·hd = d
  c.max_position_embeddings = 256;
  c.rope_theta = arch == Arch::kLlama ? 500000.0 : 1e6;
  c.qkv_bias = arch == Arch::kQwen2;
  c.qk_norm = arch == Arch::kQwen3;
  c.tie_word_embeddings = arch != Arch::kLlama;
  return c;
}

Model MakeRandomModel(const ModelConfig& config, uint64_t seed, DType linear_dtype, double std) {
  Model model;
  model.config = config;
  Rng rng(seed);
  ForEachTensor(model.config, model.weights, [&](TensorSlot& slot) {
    const bool norm = slot.is_vector && slot.hf_name.find("bias") == std::string::npos;
    const DType dtype = slot.is_linear ? linear_dtype : DType::kF32;
    OwnedTensor t = OwnedTensor::Zeros(dtype, slot.shape);
    const int64_t n = t.view().NumElements();
    for (int64_t i = 0; i < n; ++i) {
      const auto v = static_cast<float>(norm ? 1.0 + 0.1 * rng.Normal() : std * rng.Normal());
      if (dtype == DType::kF32) t.f32()[i] = v;
      else t.buffer.As<uint16_t>()[i] = F32ToBf16(v);
    }
    *slot.view = model.Adopt(std::move(t));
  });
  if (config.tie_word_embeddings) model.weights.lm_head = model.weights.embed;
  return model;
}

std::vector<double> ReferenceLogits(const Model& model, const std::vector<int32_t>& tokens,
                                    const std::vector<bool>& skip) {
  const ModelConfig& c = model.config;
  const auto n = static_cast<int64_t>(tokens.size());
  const int64_t hd = c.head_dim, H = c.num_heads, Hkv = c.num_kv_heads;
  std::vector<double> inv_freq;
  for (int64_t i = 0; i < hd / 2; ++i) inv_freq.push_back(std::pow(c.rope_theta, -2.0 * i / hd));
  if (!c.rope_freq_factors.empty()) {
    for (size_t i = 0; i < inv_freq.size(); ++i) inv_freq[i] /= c.rope_freq_factors[i];
  }

  std::vector<Vec> x;
  for (int32_t t : tokens) x.push_back(Row(model.weights.embed, t));
  for (int64_t l = 0; l < c.num_layers; ++l) {
    if (static_cast<size_t>(l) < skip.size() && skip[static_cast<size_t>(l)]) continue;
    const BlockWeights& w = model.weights.blocks[static_cast<size_t>(l)];
    std::vector<Vec> q(n), k(n), v(n);
    for (int64_t t = 0; t < n; ++t) {
      const Vec xn = RmsNorm(x[t], w.attn_norm, c.rms_norm_eps);
      q[t] = Apply(w.q, xn);
      k[t] = Apply(w.k, xn);
      v[t] = Apply(w.v, xn);
      for (int64_t h = 0; h < H; ++h) {
        double* head = q[t].data() + h * hd;
        if (c.qk_norm) {
          const Vec normed = RmsNorm(Vec(head, head + hd), w.q_norm, c.rms_norm_eps);
          std::copy(normed.begin(), normed.end(), head);
        }
        Rope(head, hd, t, inv_freq);
      }
      for (int64_t h = 0; h < Hkv; ++h) {
        double* head = k[t].data() + h * hd;
        if (c.qk_norm) {
          const Vec normed = RmsNorm(Vec(head, head + hd), w.k_norm, c.rms_norm_eps);
          std::copy(normed.begin(), normed.end(), head);
        }
        Rope(head, hd, t, inv_freq);
      }
    }
    for (int64_t t = 0; t < n; ++t) {
      Vec attn(static_cast<size_t>(H * hd), 0.0);
      for (int64_t h = 0; h < H; ++h) {
        const int64_t g = h / (H / Hkv);
        Vec scores(static_cast<size_t>(t + 1));
        double max = -1e300;
        for (int64_t j = 0; j <= t; ++j) {
          double s = 0;
          for (int64_t i = 0; i < hd; ++i) s += q[t][h * hd + i] * k[j][g * hd + i];
          scores[j] = s / std::sqrt(static_cast<double>(hd));
          max = std::max(max, scores[j]);
        }
        double sum = 0;
        for (double& s : scores) sum += s = std::exp(s - max);
        for (int64_t j = 0; j <= t; ++j) {
          for (int64_t i = 0; i < hd; ++i) attn[h * hd + i] += scores[j] / sum * v[j][g * hd + i];
        }
      }
      const Vec o = Apply(w.o, attn);
      for (size_t i = 0; i < o.size(); ++i) x[t][i] += o[i];
      const Vec xn = RmsNorm(x[t], w.ffn_norm, c.rms_norm_eps);
      const Vec gate = Apply(w.gate, xn), up = Apply(w.up, xn);
      Vec h(gate.size());
      for (size_t i = 0; i < h.size(); ++i) h[i] = gate[i] / (1 + std::exp(-gate[i])) * up[i];
      const Vec down = Apply(w.down, h);
      for (size_t i = 0; i < down.size(); ++i) x[t][i] += down[i];
    }
  }
  std::vector<double> logits;
  for (int64_t t = 0; t < n; ++t) {
    const Vec hn = RmsNorm(x[t], model.weights.final_norm, c.rms_norm_eps);
    for (int64_t r = 0; r < c.vocab_size; ++r) {
      const Vec row = Row(model.weights.lm_head, r);
      double acc = 0;
      for (size_t i = 0; i < hn.size(); ++i) acc += row[i] * hn[i];
      logits.push_back(acc);
    }
  }
  return logits;
}

}  // namespace lieq::testing
