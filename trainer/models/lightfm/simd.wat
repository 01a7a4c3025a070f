;; SIMD inner loops of the hybrid MF trainer: dot products, scaled additions and the
;; adagrad step over one embedding row. Pointers are byte offsets into the shared memory
;; that holds the model's parameters; n is the number of float32 values (the embedding
;; dimension). Each function handles n = 4q + r: q vector steps, then r scalar steps.
;;
;; Compiled by scripts/build-wasm.ts into simd-wasm.ts (base64), which is committed; a test
;; checks that the two agree.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; sum over j of a[j] * b[j]: 16 values a step into four accumulators (four independent
  ;; chains of additions instead of one, which the samplers' many short dot products wait
  ;; on), then 4 a step, then the scalar tail
  (func $dot (export "dot") (param $a i32) (param $b i32) (param $n i32) (result f32)
    (local $acc v128) (local $acc1 v128) (local $acc2 v128) (local $acc3 v128) (local $end i32) (local $s f32)
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $n) (i32.const -16)) (i32.const 2))))
    (block $done16
      (loop $vec16
        (br_if $done16 (i32.ge_u (local.get $a) (local.get $end)))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load (local.get $a)) (v128.load (local.get $b)))))
        (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (v128.load offset=16 (local.get $a)) (v128.load offset=16 (local.get $b)))))
        (local.set $acc2 (f32x4.add (local.get $acc2) (f32x4.mul (v128.load offset=32 (local.get $a)) (v128.load offset=32 (local.get $b)))))
        (local.set $acc3 (f32x4.add (local.get $acc3) (f32x4.mul (v128.load offset=48 (local.get $a)) (v128.load offset=48 (local.get $b)))))
        (local.set $a (i32.add (local.get $a) (i32.const 64)))
        (local.set $b (i32.add (local.get $b) (i32.const 64)))
        (br $vec16)))
    (local.set $acc (f32x4.add (f32x4.add (local.get $acc) (local.get $acc1)) (f32x4.add (local.get $acc2) (local.get $acc3))))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 12)) (i32.const 2))))
    (block $done
      (loop $vec
        (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
        (local.set $acc (f32x4.add (local.get $acc)
          (f32x4.mul (v128.load (local.get $a)) (v128.load (local.get $b)))))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))
        (br $vec)))
    (local.set $s (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
      (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $a) (local.get $end)))
        (local.set $s (f32.add (local.get $s) (f32.mul (f32.load (local.get $a)) (f32.load (local.get $b)))))
        (local.set $a (i32.add (local.get $a) (i32.const 4)))
        (local.set $b (i32.add (local.get $b) (i32.const 4)))
        (br $tail)))
    (local.get $s))

  ;; y[j] = alpha * x[j]
  (func $scale (export "scale") (param $y i32) (param $alpha f32) (param $x i32) (param $n i32)
    (local $va v128) (local $end i32)
    (local.set $va (f32x4.splat (local.get $alpha)))
    (local.set $end (i32.add (local.get $y) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $vec
        (br_if $done (i32.ge_u (local.get $y) (local.get $end)))
        (v128.store (local.get $y) (f32x4.mul (local.get $va) (v128.load (local.get $x))))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (br $vec)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $y) (local.get $end)))
        (f32.store (local.get $y) (f32.mul (local.get $alpha) (f32.load (local.get $x))))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (br $tail))))

  ;; y[j] += alpha * x[j]
  (func $axpy (export "axpy") (param $y i32) (param $alpha f32) (param $x i32) (param $n i32)
    (local $va v128) (local $end i32)
    (local.set $va (f32x4.splat (local.get $alpha)))
    (local.set $end (i32.add (local.get $y) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $vec
        (br_if $done (i32.ge_u (local.get $y) (local.get $end)))
        (v128.store (local.get $y)
          (f32x4.add (v128.load (local.get $y)) (f32x4.mul (local.get $va) (v128.load (local.get $x)))))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (br $vec)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $y) (local.get $end)))
        (f32.store (local.get $y)
          (f32.add (f32.load (local.get $y)) (f32.mul (local.get $alpha) (f32.load (local.get $x)))))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (br $tail))))

  ;; y[j] = alpha * (a[j] - b[j])
  (func $scaledDiff (export "scaledDiff") (param $y i32) (param $alpha f32) (param $a i32) (param $b i32) (param $n i32)
    (local $va v128) (local $end i32)
    (local.set $va (f32x4.splat (local.get $alpha)))
    (local.set $end (i32.add (local.get $y) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $vec
        (br_if $done (i32.ge_u (local.get $y) (local.get $end)))
        (v128.store (local.get $y)
          (f32x4.mul (local.get $va) (f32x4.sub (v128.load (local.get $a)) (v128.load (local.get $b)))))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))
        (br $vec)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $y) (local.get $end)))
        (f32.store (local.get $y)
          (f32.mul (local.get $alpha) (f32.sub (f32.load (local.get $a)) (f32.load (local.get $b)))))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (local.set $a (i32.add (local.get $a) (i32.const 4)))
        (local.set $b (i32.add (local.get $b) (i32.const 4)))
        (br $tail))))

  ;; Adagrad step on one row, gradient g[j] = grad[j] * w:
  ;;   emb[j] -= lr / sqrt(acc[j]) * g[j];  acc[j] += g[j]^2
  (func $adagrad (export "adagrad") (param $emb i32) (param $acc i32) (param $grad i32) (param $w f32) (param $lr f32) (param $n i32)
    (local $vw v128) (local $vlr v128) (local $g v128) (local $a v128) (local $end i32) (local $gs f32) (local $as f32)
    (local.set $vw (f32x4.splat (local.get $w)))
    (local.set $vlr (f32x4.splat (local.get $lr)))
    (local.set $end (i32.add (local.get $emb) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $vec
        (br_if $done (i32.ge_u (local.get $emb) (local.get $end)))
        (local.set $g (f32x4.mul (v128.load (local.get $grad)) (local.get $vw)))
        (local.set $a (v128.load (local.get $acc)))
        (v128.store (local.get $emb)
          (f32x4.sub (v128.load (local.get $emb))
            (f32x4.mul (f32x4.div (local.get $vlr) (f32x4.sqrt (local.get $a))) (local.get $g))))
        (v128.store (local.get $acc) (f32x4.add (local.get $a) (f32x4.mul (local.get $g) (local.get $g))))
        (local.set $emb (i32.add (local.get $emb) (i32.const 16)))
        (local.set $acc (i32.add (local.get $acc) (i32.const 16)))
        (local.set $grad (i32.add (local.get $grad) (i32.const 16)))
        (br $vec)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $emb) (local.get $end)))
        (local.set $gs (f32.mul (f32.load (local.get $grad)) (local.get $w)))
        (local.set $as (f32.load (local.get $acc)))
        (f32.store (local.get $emb)
          (f32.sub (f32.load (local.get $emb))
            (f32.mul (f32.div (local.get $lr) (f32.sqrt (local.get $as))) (local.get $gs))))
        (f32.store (local.get $acc) (f32.add (local.get $as) (f32.mul (local.get $gs) (local.get $gs))))
        (local.set $emb (i32.add (local.get $emb) (i32.const 4)))
        (local.set $acc (i32.add (local.get $acc) (i32.const 4)))
        (local.set $grad (i32.add (local.get $grad) (i32.const 4)))
        (br $tail))))

  ;; out[i] = bias[i] + sum over j of rows[i * n + j] * q[j], for i < m: the scores of every
  ;; item for one query vector (a matrix-vector product plus a bias)
  (func (export "gemv") (param $rows i32) (param $bias i32) (param $q i32) (param $out i32) (param $m i32) (param $n i32)
    (local $i i32) (local $a i32) (local $b i32) (local $end i32) (local $tailEnd i32) (local $acc v128) (local $s f32)
    (block $rows_done
      (loop $row
        (br_if $rows_done (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $a (local.get $rows))
        (local.set $b (local.get $q))
        (local.set $acc (v128.const f32x4 0 0 0 0))
        (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
        (local.set $tailEnd (i32.add (local.get $a) (i32.shl (local.get $n) (i32.const 2))))
        (block $done
          (loop $vec
            (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
            (local.set $acc (f32x4.add (local.get $acc)
              (f32x4.mul (v128.load (local.get $a)) (v128.load (local.get $b)))))
            (local.set $a (i32.add (local.get $a) (i32.const 16)))
            (local.set $b (i32.add (local.get $b) (i32.const 16)))
            (br $vec)))
        (local.set $s (f32.add
          (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
          (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))
        (block $tail_done
          (loop $tail
            (br_if $tail_done (i32.ge_u (local.get $a) (local.get $tailEnd)))
            (local.set $s (f32.add (local.get $s) (f32.mul (f32.load (local.get $a)) (f32.load (local.get $b)))))
            (local.set $a (i32.add (local.get $a) (i32.const 4)))
            (local.set $b (i32.add (local.get $b) (i32.const 4)))
            (br $tail)))
        (f32.store (local.get $out) (f32.add (local.get $s) (f32.load (local.get $bias))))
        (local.set $rows (local.get $tailEnd))
        (local.set $bias (i32.add (local.get $bias) (i32.const 4)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $row))))

  ;; ---- The WARP epoch loop, for the common case: adagrad without L2 (no lazy scales) ----
  ;;
  ;; warpRange runs examples shuffle[start..end) as kernels.ts's warpRange, sampleViolator,
  ;; pairwiseUpdate and updateRow do (the same steps, the same sampling stream), without a
  ;; call into JavaScript per feature or per draw. Everything it reads is in this memory; the
  ;; context at $ctx holds the offsets (i32 slots, see kernels.ts, WARP_CTX):
  ;;   0 itemEmb   1 itemAcc   2 itemBias   3 itemBiasAcc   4 userEmb   5 userAcc
  ;;   6 userBias  7 userBiasAcc   8-10 item features (indptr, indices, data: indices and
  ;;   data interleaved, (feature, weight) pairs 8 bytes apart, data = indices + 4, so that
  ;;   a row's features and weights share cache lines)   11-13 user features, the same   14 example users   15 example items   16 example weights
  ;;   17 positives indptr   18 positives indices   19 positives bitmap (0: none)
  ;;   20 bitmap words per user   21 items   22 dim   23 maxSampled   24 item features are
  ;;   the identity (1/0)   25 learning rate (f32)   26 rank weights: f32[maxSampled + 1],
  ;;   w[s] = min(log(max(1, floor((items - 1) / s))), 10) before the sample weight
  ;; $scratch is the thread's four vectors (user, positive, negative, gradient), each
  ;; ceil((dim + 1) / 4) * 4 floats. Returns the sampling state after the range.

  ;; out[0..dim) = sum over the row's features f of data * emb[f]; out[dim] = the same of bias[f]
  (func $reprRow (param $indptr i32) (param $indices i32) (param $data i32) (param $row i32)
    (param $emb i32) (param $bias i32) (param $dim i32) (param $out i32)
    (local $p i32) (local $end i32) (local $f i32) (local $w f32) (local $b f32) (local $rowBytes i32)
    (local.set $rowBytes (i32.shl (local.get $dim) (i32.const 2)))
    (local.set $p (i32.load (i32.add (local.get $indptr) (i32.shl (local.get $row) (i32.const 2)))))
    (local.set $end (i32.load offset=4 (i32.add (local.get $indptr) (i32.shl (local.get $row) (i32.const 2)))))
    (if (i32.eq (local.get $p) (local.get $end))
      (then
        (memory.fill (local.get $out) (i32.const 0) (i32.add (local.get $rowBytes) (i32.const 4)))
        (return)))
    (local.set $f (i32.load (i32.add (local.get $indices) (i32.shl (local.get $p) (i32.const 3)))))
    (local.set $w (f32.load (i32.add (local.get $data) (i32.shl (local.get $p) (i32.const 3)))))
    (call $scale (local.get $out) (local.get $w) (i32.add (local.get $emb) (i32.mul (local.get $f) (local.get $rowBytes))) (local.get $dim))
    (local.set $b (f32.mul (local.get $w) (f32.load (i32.add (local.get $bias) (i32.shl (local.get $f) (i32.const 2))))))
    (local.set $p (i32.add (local.get $p) (i32.const 1)))
    (block $done
      (loop $features
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $f (i32.load (i32.add (local.get $indices) (i32.shl (local.get $p) (i32.const 3)))))
        (local.set $w (f32.load (i32.add (local.get $data) (i32.shl (local.get $p) (i32.const 3)))))
        (call $axpy (local.get $out) (local.get $w) (i32.add (local.get $emb) (i32.mul (local.get $f) (local.get $rowBytes))) (local.get $dim))
        (local.set $b (f32.add (local.get $b) (f32.mul (local.get $w) (f32.load (i32.add (local.get $bias) (i32.shl (local.get $f) (i32.const 2)))))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $features)))
    (f32.store (i32.add (local.get $out) (local.get $rowBytes)) (local.get $b)))

  ;; The score of item row $row against the representation at $other, feature by feature.
  (func $scoreRow (param $indptr i32) (param $indices i32) (param $data i32) (param $row i32)
    (param $emb i32) (param $bias i32) (param $dim i32) (param $other i32) (result f64)
    (local $p i32) (local $end i32) (local $f i32) (local $s f64)
    (local.set $s (f64.promote_f32 (f32.load (i32.add (local.get $other) (i32.shl (local.get $dim) (i32.const 2))))))
    (local.set $p (i32.load (i32.add (local.get $indptr) (i32.shl (local.get $row) (i32.const 2)))))
    (local.set $end (i32.load offset=4 (i32.add (local.get $indptr) (i32.shl (local.get $row) (i32.const 2)))))
    (block $done
      (loop $features
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $f (i32.load (i32.add (local.get $indices) (i32.shl (local.get $p) (i32.const 3)))))
        (local.set $s (f64.add (local.get $s)
          (f64.mul (f64.promote_f32 (f32.load (i32.add (local.get $data) (i32.shl (local.get $p) (i32.const 3)))))
            (f64.add (f64.promote_f32 (f32.load (i32.add (local.get $bias) (i32.shl (local.get $f) (i32.const 2)))))
              (f64.promote_f32 (call $dot (local.get $other)
                (i32.add (local.get $emb) (i32.mul (local.get $f) (i32.shl (local.get $dim) (i32.const 2)))) (local.get $dim)))))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $features)))
    (local.get $s))

  ;; Adagrad on every feature of $row: embedding gradient grad * data, bias gradient
  ;; $biasGrad * data (the bias step in f64, as updateRow's).
  (func $updateRow (param $indptr i32) (param $indices i32) (param $data i32) (param $row i32)
    (param $emb i32) (param $acc i32) (param $bias i32) (param $biasAcc i32)
    (param $grad i32) (param $biasGrad f64) (param $lr f32) (param $dim i32)
    (local $p i32) (local $end i32) (local $f i32) (local $w f32) (local $g f64) (local $a f64) (local $off i32) (local $bp i32) (local $ap i32)
    (local.set $p (i32.load (i32.add (local.get $indptr) (i32.shl (local.get $row) (i32.const 2)))))
    (local.set $end (i32.load offset=4 (i32.add (local.get $indptr) (i32.shl (local.get $row) (i32.const 2)))))
    (block $done
      (loop $features
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $f (i32.load (i32.add (local.get $indices) (i32.shl (local.get $p) (i32.const 3)))))
        (local.set $w (f32.load (i32.add (local.get $data) (i32.shl (local.get $p) (i32.const 3)))))
        (local.set $g (f64.mul (local.get $biasGrad) (f64.promote_f32 (local.get $w))))
        (local.set $bp (i32.add (local.get $bias) (i32.shl (local.get $f) (i32.const 2))))
        (local.set $ap (i32.add (local.get $biasAcc) (i32.shl (local.get $f) (i32.const 2))))
        (local.set $a (f64.promote_f32 (f32.load (local.get $ap))))
        (f32.store (local.get $bp) (f32.demote_f64 (f64.sub (f64.promote_f32 (f32.load (local.get $bp)))
          (f64.mul (f64.div (f64.promote_f32 (local.get $lr)) (f64.sqrt (local.get $a))) (local.get $g)))))
        (f32.store (local.get $ap) (f32.demote_f64 (f64.add (local.get $a) (f64.mul (local.get $g) (local.get $g)))))
        (local.set $off (i32.mul (local.get $f) (i32.shl (local.get $dim) (i32.const 2))))
        (call $adagrad (i32.add (local.get $emb) (local.get $off)) (i32.add (local.get $acc) (local.get $off))
          (local.get $grad) (local.get $w) (local.get $lr) (local.get $dim))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $features))))

  ;; Whether $item is a positive of user $u: the bitmap when there is one, else a binary
  ;; search of the user's sorted positives.
  (func $isPositive (param $ctx i32) (param $u i32) (param $item i32) (result i32)
    (local $bits i32) (local $lo i32) (local $hi i32) (local $mid i32) (local $v i32) (local $idx i32)
    (local.set $bits (i32.load offset=76 (local.get $ctx)))
    (if (local.get $bits)
      (then
        (return (i32.and (i32.shr_u
          (i32.load (i32.add (local.get $bits) (i32.shl
            (i32.add (i32.mul (local.get $u) (i32.load offset=80 (local.get $ctx))) (i32.shr_u (local.get $item) (i32.const 5)))
            (i32.const 2))))
          (i32.and (local.get $item) (i32.const 31))) (i32.const 1)))))
    (local.set $idx (i32.load offset=72 (local.get $ctx)))
    (local.set $lo (i32.load (i32.add (i32.load offset=68 (local.get $ctx)) (i32.shl (local.get $u) (i32.const 2)))))
    (local.set $hi (i32.sub (i32.load offset=4 (i32.add (i32.load offset=68 (local.get $ctx)) (i32.shl (local.get $u) (i32.const 2)))) (i32.const 1)))
    (block $absent
      (loop $search
        (br_if $absent (i32.gt_s (local.get $lo) (local.get $hi)))
        (local.set $mid (i32.shr_u (i32.add (local.get $lo) (local.get $hi)) (i32.const 1)))
        (local.set $v (i32.load (i32.add (local.get $idx) (i32.shl (local.get $mid) (i32.const 2)))))
        (if (i32.eq (local.get $v) (local.get $item)) (then (return (i32.const 1))))
        (if (i32.lt_s (local.get $v) (local.get $item))
          (then (local.set $lo (i32.add (local.get $mid) (i32.const 1))))
          (else (local.set $hi (i32.sub (local.get $mid) (i32.const 1)))))
        (br $search)))
    (i32.const 0))

  (func (export "warpRange") (param $ctx i32) (param $scratch i32) (param $shuffle i32) (param $start i32) (param $end i32) (param $seed i32) (result i32)
    (local $itemEmb i32) (local $itemAcc i32) (local $itemBias i32) (local $itemBiasAcc i32)
    (local $userEmb i32) (local $userAcc i32) (local $userBias i32) (local $userBiasAcc i32)
    (local $iPtr i32) (local $iIdx i32) (local $iDat i32) (local $uPtr i32) (local $uIdx i32) (local $uDat i32)
    (local $exU i32) (local $exI i32) (local $exW i32) (local $posPtr i32)
    (local $nItems i32) (local $dim i32) (local $maxSampled i32) (local $identity i32) (local $lr f32) (local $rankW i32)
    (local $stride i32) (local $userV i32) (local $posV i32) (local $negV i32) (local $gradV i32)
    (local $i i32) (local $row i32) (local $w f32) (local $u i32) (local $pos i32) (local $neg i32) (local $s i32)
    (local $sampled i32) (local $found i32) (local $posPred f64) (local $negPred f64) (local $userBiasV f64) (local $loss f32)
    (local $rowBytes i32)
    (local.set $itemEmb (i32.load offset=0 (local.get $ctx)))
    (local.set $itemAcc (i32.load offset=4 (local.get $ctx)))
    (local.set $itemBias (i32.load offset=8 (local.get $ctx)))
    (local.set $itemBiasAcc (i32.load offset=12 (local.get $ctx)))
    (local.set $userEmb (i32.load offset=16 (local.get $ctx)))
    (local.set $userAcc (i32.load offset=20 (local.get $ctx)))
    (local.set $userBias (i32.load offset=24 (local.get $ctx)))
    (local.set $userBiasAcc (i32.load offset=28 (local.get $ctx)))
    (local.set $iPtr (i32.load offset=32 (local.get $ctx)))
    (local.set $iIdx (i32.load offset=36 (local.get $ctx)))
    (local.set $iDat (i32.load offset=40 (local.get $ctx)))
    (local.set $uPtr (i32.load offset=44 (local.get $ctx)))
    (local.set $uIdx (i32.load offset=48 (local.get $ctx)))
    (local.set $uDat (i32.load offset=52 (local.get $ctx)))
    (local.set $exU (i32.load offset=56 (local.get $ctx)))
    (local.set $exI (i32.load offset=60 (local.get $ctx)))
    (local.set $exW (i32.load offset=64 (local.get $ctx)))
    (local.set $posPtr (i32.load offset=68 (local.get $ctx)))
    (local.set $nItems (i32.load offset=84 (local.get $ctx)))
    (local.set $dim (i32.load offset=88 (local.get $ctx)))
    (local.set $maxSampled (i32.load offset=92 (local.get $ctx)))
    (local.set $identity (i32.load offset=96 (local.get $ctx)))
    (local.set $lr (f32.load offset=100 (local.get $ctx)))
    (local.set $rankW (i32.load offset=104 (local.get $ctx)))
    (local.set $rowBytes (i32.shl (local.get $dim) (i32.const 2)))
    (local.set $stride (i32.shl (i32.and (i32.add (local.get $dim) (i32.const 4)) (i32.const -4)) (i32.const 2)))
    (local.set $userV (local.get $scratch))
    (local.set $posV (i32.add (local.get $userV) (local.get $stride)))
    (local.set $negV (i32.add (local.get $posV) (local.get $stride)))
    (local.set $gradV (i32.add (local.get $negV) (local.get $stride)))
    (local.set $s (local.get $seed))
    (if (i32.eqz (local.get $s)) (then (local.set $s (i32.const 1))))
    (local.set $i (local.get $start))
    (block $examples_done
      (loop $examples
        (br_if $examples_done (i32.ge_u (local.get $i) (local.get $end)))
        (block $next
          (local.set $row (i32.load (i32.add (local.get $shuffle) (i32.shl (local.get $i) (i32.const 2)))))
          (local.set $w (f32.load (i32.add (local.get $exW) (i32.shl (local.get $row) (i32.const 2)))))
          (br_if $next (i32.eqz (f32.gt (local.get $w) (f32.const 0))))
          (local.set $u (i32.load (i32.add (local.get $exU) (i32.shl (local.get $row) (i32.const 2)))))
          ;; a user who likes every item has no negative to sample
          (br_if $next (i32.ge_s
            (i32.sub (i32.load offset=4 (i32.add (local.get $posPtr) (i32.shl (local.get $u) (i32.const 2))))
                     (i32.load (i32.add (local.get $posPtr) (i32.shl (local.get $u) (i32.const 2)))))
            (local.get $nItems)))
          (local.set $pos (i32.load (i32.add (local.get $exI) (i32.shl (local.get $row) (i32.const 2)))))
          (call $reprRow (local.get $uPtr) (local.get $uIdx) (local.get $uDat) (local.get $u) (local.get $userEmb) (local.get $userBias) (local.get $dim) (local.get $userV))
          (call $reprRow (local.get $iPtr) (local.get $iIdx) (local.get $iDat) (local.get $pos) (local.get $itemEmb) (local.get $itemBias) (local.get $dim) (local.get $posV))
          (local.set $userBiasV (f64.promote_f32 (f32.load (i32.add (local.get $userV) (local.get $rowBytes)))))
          (local.set $posPred (f64.add
            (f64.add (local.get $userBiasV) (f64.promote_f32 (f32.load (i32.add (local.get $posV) (local.get $rowBytes)))))
            (f64.promote_f32 (call $dot (local.get $userV) (local.get $posV) (local.get $dim)))))
          ;; the search for a violating negative (every draw counts, a positive too)
          (local.set $sampled (i32.const 0))
          (local.set $found (i32.const -1))
          (block $search_done
            (loop $search
              (br_if $search_done (i32.ge_u (local.get $sampled) (local.get $maxSampled)))
              (local.set $s (i32.xor (local.get $s) (i32.shl (local.get $s) (i32.const 13))))
              (local.set $s (i32.xor (local.get $s) (i32.shr_u (local.get $s) (i32.const 17))))
              (local.set $s (i32.xor (local.get $s) (i32.shl (local.get $s) (i32.const 5))))
              (local.set $neg (i32.rem_u (i32.shr_u (local.get $s) (i32.const 1)) (local.get $nItems)))
              (local.set $sampled (i32.add (local.get $sampled) (i32.const 1)))
              (br_if $search (call $isPositive (local.get $ctx) (local.get $u) (local.get $neg)))
              (local.set $negPred
                (if (result f64) (local.get $identity)
                  (then (f64.add (local.get $userBiasV)
                    (f64.add (f64.promote_f32 (f32.load (i32.add (local.get $itemBias) (i32.shl (local.get $neg) (i32.const 2)))))
                      (f64.promote_f32 (call $dot (local.get $userV) (i32.add (local.get $itemEmb) (i32.mul (local.get $neg) (local.get $rowBytes))) (local.get $dim))))))
                  (else (call $scoreRow (local.get $iPtr) (local.get $iIdx) (local.get $iDat) (local.get $neg) (local.get $itemEmb) (local.get $itemBias) (local.get $dim) (local.get $userV)))))
              (if (f64.gt (local.get $negPred) (f64.sub (local.get $posPred) (f64.const 1)))
                (then
                  (local.set $found (local.get $neg))
                  (br $search_done)))
              (br $search)))
          (br_if $next (i32.lt_s (local.get $found) (i32.const 0)))
          (call $reprRow (local.get $iPtr) (local.get $iIdx) (local.get $iDat) (local.get $neg) (local.get $itemEmb) (local.get $itemBias) (local.get $dim) (local.get $negV))
          ;; the rank weight of the number of draws, times the sample weight, at most 10
          (local.set $loss (f32.mul (local.get $w) (f32.load (i32.add (local.get $rankW) (i32.shl (local.get $sampled) (i32.const 2))))))
          (if (f32.gt (local.get $loss) (f32.const 10)) (then (local.set $loss (f32.const 10))))
          ;; the pairwise step: positive item, negative item, then the user (zero bias gradient)
          (call $scale (local.get $gradV) (f32.neg (local.get $loss)) (local.get $userV) (local.get $dim))
          (call $updateRow (local.get $iPtr) (local.get $iIdx) (local.get $iDat) (local.get $pos) (local.get $itemEmb) (local.get $itemAcc)
            (local.get $itemBias) (local.get $itemBiasAcc) (local.get $gradV) (f64.neg (f64.promote_f32 (local.get $loss))) (local.get $lr) (local.get $dim))
          (call $scale (local.get $gradV) (local.get $loss) (local.get $userV) (local.get $dim))
          (call $updateRow (local.get $iPtr) (local.get $iIdx) (local.get $iDat) (local.get $neg) (local.get $itemEmb) (local.get $itemAcc)
            (local.get $itemBias) (local.get $itemBiasAcc) (local.get $gradV) (f64.promote_f32 (local.get $loss)) (local.get $lr) (local.get $dim))
          (call $scaledDiff (local.get $gradV) (local.get $loss) (local.get $negV) (local.get $posV) (local.get $dim))
          (call $updateRow (local.get $uPtr) (local.get $uIdx) (local.get $uDat) (local.get $u) (local.get $userEmb) (local.get $userAcc)
            (local.get $userBias) (local.get $userBiasAcc) (local.get $gradV) (f64.const 0) (local.get $lr) (local.get $dim)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $examples)))
    (local.get $s))
)
