;; SIMD inner loops of the hybrid MF trainer: dot products, scaled additions and the
;; adagrad step over one embedding row. Pointers are byte offsets into the shared memory
;; that holds the model's parameters; n is the number of float32 values (the embedding
;; dimension). Each function handles n = 4q + r: q vector steps, then r scalar steps.
;;
;; Compiled by scripts/build-wasm.ts into simd-wasm.ts (base64), which is committed; a test
;; checks that the two agree.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; sum over j of a[j] * b[j]
  (func (export "dot") (param $a i32) (param $b i32) (param $n i32) (result f32)
    (local $acc v128) (local $end i32) (local $s f32)
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
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
  (func (export "scale") (param $y i32) (param $alpha f32) (param $x i32) (param $n i32)
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
  (func (export "axpy") (param $y i32) (param $alpha f32) (param $x i32) (param $n i32)
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
  (func (export "scaledDiff") (param $y i32) (param $alpha f32) (param $a i32) (param $b i32) (param $n i32)
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
  (func (export "adagrad") (param $emb i32) (param $acc i32) (param $grad i32) (param $w f32) (param $lr f32) (param $n i32)
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
)
