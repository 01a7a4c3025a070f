;; The edge's scoring kernels: one score per item for one query vector, over item vectors
;; stored as in the artifact (spec/model-format.md, section item-vectors), row-major,
;; `dim` values per row. Pointers are byte offsets into the imported memory, which holds
;; one model version (see wasm-kernel.ts); a pointer of 0 means "absent" (biases).
;;
;; scoreInt8 works on integers: the query arrives quantised to i16 (quantizeQuery in
;; js-kernels.ts, shared with the JavaScript path), so each 8 values of a row are one
;; v128.load8x8_s and one i32x4.dot_i16x8_s. The sum is exact in i32: |q| <= 32767, fewer
;; bits past dim 516, keeps 127 * max|q| * dim below 2^31. The row's dot product is then
;; scaled in f64, in the order the JavaScript path uses, so both give the same f32 scores
;; bit for bit.
;;
;; Rows are read 16 values at a time from their start; the query is zero-padded to a
;; multiple of 16, so the bytes read past the end of a row (the next row, or up to 15
;; bytes of slack after the last one) are multiplied by zero. The float kernels cannot do
;; that (a stray NaN times 0 is NaN) and finish each row with scalar steps instead.
;;
;; Compiled by scripts/build-wasm.ts into kernel.wasm, which is committed (the Workers
;; runtime imports compiled modules only); a test checks that the two agree.
(module
  (import "env" "memory" (memory 1))

  ;; out[i] = f32(f64(dot(values row i, query)) * scales[i] * qScale + biases[i] + queryBias)
  ;; values: i8[n * dim]; scales, biases, out: f32[n]; query: i16[align16(dim)]
  (func (export "scoreInt8")
    (param $values i32) (param $scales i32) (param $biases i32) (param $query i32) (param $out i32)
    (param $n i32) (param $dim i32) (param $qScale f64) (param $queryBias f64)
    (local $k i32) (local $kEnd i32) (local $row i32) (local $p i32) (local $q i32) (local $end i32)
    (local $span i32) (local $acc0 v128) (local $acc1 v128) (local $bias f64)
    (if (i32.le_s (local.get $dim) (i32.const 0)) (then (return)))
    (local.set $span (i32.and (i32.add (local.get $dim) (i32.const 15)) (i32.const -16)))
    (local.set $kEnd (i32.shl (local.get $n) (i32.const 2)))
    (local.set $row (local.get $values))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $k) (local.get $kEnd)))
        (local.set $p (local.get $row))
        (local.set $q (local.get $query))
        (local.set $end (i32.add (local.get $row) (local.get $span)))
        (local.set $acc0 (v128.const i32x4 0 0 0 0))
        (local.set $acc1 (v128.const i32x4 0 0 0 0))
        (loop $dims
          (local.set $acc0 (i32x4.add (local.get $acc0)
            (i32x4.dot_i16x8_s (v128.load8x8_s align=1 (local.get $p)) (v128.load (local.get $q)))))
          (local.set $acc1 (i32x4.add (local.get $acc1)
            (i32x4.dot_i16x8_s (v128.load8x8_s offset=8 align=1 (local.get $p)) (v128.load offset=16 (local.get $q)))))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (local.set $q (i32.add (local.get $q) (i32.const 32)))
          (br_if $dims (i32.lt_u (local.get $p) (local.get $end))))
        (local.set $acc0 (i32x4.add (local.get $acc0) (local.get $acc1)))
        (local.set $bias (f64.const 0))
        (if (local.get $biases)
          (then (local.set $bias (f64.promote_f32 (f32.load (i32.add (local.get $biases) (local.get $k)))))))
        (f32.store (i32.add (local.get $out) (local.get $k))
          (f32.demote_f64
            (f64.add
              (f64.add
                (f64.mul
                  (f64.mul
                    (f64.convert_i32_s
                      (i32.add
                        (i32.add (i32x4.extract_lane 0 (local.get $acc0)) (i32x4.extract_lane 1 (local.get $acc0)))
                        (i32.add (i32x4.extract_lane 2 (local.get $acc0)) (i32x4.extract_lane 3 (local.get $acc0)))))
                    (f64.promote_f32 (f32.load (i32.add (local.get $scales) (local.get $k)))))
                  (local.get $qScale))
                (local.get $bias))
              (local.get $queryBias))))
        (local.set $row (i32.add (local.get $row) (local.get $dim)))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $rows))))

  ;; out[i] = dot(values row i, query) + biases[i] + queryBias, in f32
  ;; values, query: f32[n * dim], f32[dim]; biases, out: f32[n]
  (func (export "scoreF32")
    (param $values i32) (param $biases i32) (param $query i32) (param $out i32)
    (param $n i32) (param $dim i32) (param $queryBias f32)
    (local $k i32) (local $kEnd i32) (local $p i32) (local $q i32) (local $vecEnd i32) (local $rowEnd i32)
    (local $acc0 v128) (local $acc1 v128) (local $s f32)
    (local.set $kEnd (i32.shl (local.get $n) (i32.const 2)))
    (local.set $p (local.get $values))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $k) (local.get $kEnd)))
        (local.set $q (local.get $query))
        (local.set $rowEnd (i32.add (local.get $p) (i32.shl (local.get $dim) (i32.const 2))))
        (local.set $vecEnd (i32.add (local.get $p) (i32.shl (i32.and (local.get $dim) (i32.const -8)) (i32.const 2))))
        (local.set $acc0 (v128.const f32x4 0 0 0 0))
        (local.set $acc1 (v128.const f32x4 0 0 0 0))
        (block $vec_done
          (loop $vec
            (br_if $vec_done (i32.ge_u (local.get $p) (local.get $vecEnd)))
            (local.set $acc0 (f32x4.add (local.get $acc0)
              (f32x4.mul (v128.load align=4 (local.get $p)) (v128.load align=4 (local.get $q)))))
            (local.set $acc1 (f32x4.add (local.get $acc1)
              (f32x4.mul (v128.load offset=16 align=4 (local.get $p)) (v128.load offset=16 align=4 (local.get $q)))))
            (local.set $p (i32.add (local.get $p) (i32.const 32)))
            (local.set $q (i32.add (local.get $q) (i32.const 32)))
            (br $vec)))
        (local.set $acc0 (f32x4.add (local.get $acc0) (local.get $acc1)))
        (local.set $s (f32.add
          (f32.add (f32x4.extract_lane 0 (local.get $acc0)) (f32x4.extract_lane 1 (local.get $acc0)))
          (f32.add (f32x4.extract_lane 2 (local.get $acc0)) (f32x4.extract_lane 3 (local.get $acc0)))))
        (block $tail_done
          (loop $tail
            (br_if $tail_done (i32.ge_u (local.get $p) (local.get $rowEnd)))
            (local.set $s (f32.add (local.get $s) (f32.mul (f32.load (local.get $p)) (f32.load (local.get $q)))))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (local.set $q (i32.add (local.get $q) (i32.const 4)))
            (br $tail)))
        (if (local.get $biases)
          (then (local.set $s (f32.add (local.get $s) (f32.load (i32.add (local.get $biases) (local.get $k)))))))
        (f32.store (i32.add (local.get $out) (local.get $k)) (f32.add (local.get $s) (local.get $queryBias)))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $rows))))

  ;; As scoreF32, with the values stored as f16 bits (u16[n * dim]). A half h becomes the
  ;; f32 whose bits are (sign-extended h << 13) with bits 28-30 cleared, times 2^112: that
  ;; moves sign, exponent and mantissa into place and rebiases the exponent (15 -> 127)
  ;; exactly, subnormal halves included. (Infinities and NaNs, which artifacts never
  ;; hold, would come out finite.)
  (func (export "scoreF16")
    (param $values i32) (param $biases i32) (param $query i32) (param $out i32)
    (param $n i32) (param $dim i32) (param $queryBias f32)
    (local $k i32) (local $kEnd i32) (local $p i32) (local $q i32) (local $vecEnd i32) (local $rowEnd i32)
    (local $acc0 v128) (local $acc1 v128) (local $h v128) (local $mask v128) (local $rebias v128) (local $s f32)
    (local.set $mask (v128.const i32x4 0x8fffffff 0x8fffffff 0x8fffffff 0x8fffffff))
    (local.set $rebias (v128.const f32x4 0x1p112 0x1p112 0x1p112 0x1p112))
    (local.set $kEnd (i32.shl (local.get $n) (i32.const 2)))
    (local.set $p (local.get $values))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $k) (local.get $kEnd)))
        (local.set $q (local.get $query))
        (local.set $rowEnd (i32.add (local.get $p) (i32.shl (local.get $dim) (i32.const 1))))
        (local.set $vecEnd (i32.add (local.get $p) (i32.shl (i32.and (local.get $dim) (i32.const -8)) (i32.const 1))))
        (local.set $acc0 (v128.const f32x4 0 0 0 0))
        (local.set $acc1 (v128.const f32x4 0 0 0 0))
        (block $vec_done
          (loop $vec
            (br_if $vec_done (i32.ge_u (local.get $p) (local.get $vecEnd)))
            (local.set $h (v128.load align=2 (local.get $p)))
            (local.set $acc0 (f32x4.add (local.get $acc0)
              (f32x4.mul
                (f32x4.mul
                  (v128.and (i32x4.shl (i32x4.extend_low_i16x8_s (local.get $h)) (i32.const 13)) (local.get $mask))
                  (local.get $rebias))
                (v128.load align=4 (local.get $q)))))
            (local.set $acc1 (f32x4.add (local.get $acc1)
              (f32x4.mul
                (f32x4.mul
                  (v128.and (i32x4.shl (i32x4.extend_high_i16x8_s (local.get $h)) (i32.const 13)) (local.get $mask))
                  (local.get $rebias))
                (v128.load offset=16 align=4 (local.get $q)))))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (local.set $q (i32.add (local.get $q) (i32.const 32)))
            (br $vec)))
        (local.set $acc0 (f32x4.add (local.get $acc0) (local.get $acc1)))
        (local.set $s (f32.add
          (f32.add (f32x4.extract_lane 0 (local.get $acc0)) (f32x4.extract_lane 1 (local.get $acc0)))
          (f32.add (f32x4.extract_lane 2 (local.get $acc0)) (f32x4.extract_lane 3 (local.get $acc0)))))
        (block $tail_done
          (loop $tail
            (br_if $tail_done (i32.ge_u (local.get $p) (local.get $rowEnd)))
            (local.set $s (f32.add (local.get $s)
              (f32.mul
                (f32.mul
                  (f32.reinterpret_i32
                    (i32.and (i32.shl (i32.load16_s (local.get $p)) (i32.const 13)) (i32.const 0x8fffffff)))
                  (f32.const 0x1p112))
                (f32.load (local.get $q)))))
            (local.set $p (i32.add (local.get $p) (i32.const 2)))
            (local.set $q (i32.add (local.get $q) (i32.const 4)))
            (br $tail)))
        (if (local.get $biases)
          (then (local.set $s (f32.add (local.get $s) (f32.load (i32.add (local.get $biases) (local.get $k)))))))
        (f32.store (i32.add (local.get $out) (local.get $k)) (f32.add (local.get $s) (local.get $queryBias)))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $rows))))
)
