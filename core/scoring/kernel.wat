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
  ;; accept(list, item) -> 0 leaves the item out of that list (the caller's filters); asked
  ;; only for an item whose score would enter the list, so a few dozen times per call.
  (import "env" "accept" (func $accept (param i32 i32) (result i32)))

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

  ;; ---- Fused scoring and selection ---------------------------------------------------
  ;; The top list and the helpers that finish a block of four rows ($offer, $hsum4,
  ;; $finish2, $finish4) are shared with kernel-relaxed.wat:
  ;; @include kernel-select.wat

  ;; Scores every int8 row against one i16 query (as scoreInt8) and keeps the best `cap`
  ;; in the top list at $items/$scores/$lenPtr (list 0 for accept), without storing the
  ;; scores: four rows at a time, their dots summed together and finished in f64x2, and
  ;; a block of four goes to $offer only when one of its scores beats the list's floor.
  ;; The last block of fewer than four rows reads its first row again in place of the
  ;; missing ones and drops their lanes; its scales and biases are read 16 bytes at a time
  ;; (both are followed by other data or by the memory's slack). Returns the list's length.
  (func (export "topInt8")
    (param $values i32) (param $scales i32) (param $biases i32) (param $query i32)
    (param $n i32) (param $dim i32) (param $qScale f64) (param $queryBias f64)
    (param $items i32) (param $scores i32) (param $lenPtr i32) (param $cap i32) (param $useAccept i32)
    (result i32)
    (i32.store (local.get $lenPtr) (i32.const 0))
    (if (i32.or (i32.le_s (local.get $dim) (i32.const 0)) (i32.eqz (local.get $cap))) (then (return (i32.const 0))))
    (call $topInt8Rest (local.get $values) (local.get $scales) (local.get $biases) (local.get $query) (local.get $n) (local.get $dim)
      (local.get $qScale) (local.get $queryBias) (local.get $items) (local.get $scores) (local.get $lenPtr) (local.get $cap) (local.get $useAccept)
      (i32.const 0) (f32.const -inf)))

  ;; topInt8's loop from row $i on (a multiple of 4), the list already holding what rows
  ;; before $i put in it and $floor its floor.
  (func $topInt8Rest
    (param $values i32) (param $scales i32) (param $biases i32) (param $query i32)
    (param $n i32) (param $dim i32) (param $qScale f64) (param $queryBias f64)
    (param $items i32) (param $scores i32) (param $lenPtr i32) (param $cap i32) (param $useAccept i32)
    (param $i i32) (param $floor f32)
    (result i32)
    (local $k i32) (local $span i32) (local $c i32) (local $r0 i32) (local $r1 i32) (local $r2 i32) (local $r3 i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $ql v128) (local $qh v128)
    (local $vq v128) (local $vb v128) (local $s v128) (local $lane i32)
    (local.set $vq (f64x2.splat (local.get $qScale)))
    (local.set $vb (f64x2.splat (local.get $queryBias)))
    (local.set $span (i32.and (i32.add (local.get $dim) (i32.const 15)) (i32.const -16)))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $r0 (i32.add (local.get $values) (i32.mul (local.get $i) (local.get $dim))))
        (local.set $r1 (i32.add (local.get $r0) (local.get $dim)))
        (local.set $r2 (i32.add (local.get $r1) (local.get $dim)))
        (local.set $r3 (i32.add (local.get $r2) (local.get $dim)))
        ;; in the last block, rows past the end read row i again (their lanes are dropped)
        (if (i32.ge_u (i32.add (local.get $i) (i32.const 3)) (local.get $n))
          (then
            (local.set $r3 (local.get $r0))
            (if (i32.ge_u (i32.add (local.get $i) (i32.const 2)) (local.get $n)) (then (local.set $r2 (local.get $r0))))
            (if (i32.ge_u (i32.add (local.get $i) (i32.const 1)) (local.get $n)) (then (local.set $r1 (local.get $r0))))))
        (local.set $a0 (v128.const i32x4 0 0 0 0)) (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0)) (local.set $a3 (v128.const i32x4 0 0 0 0))
        (local.set $c (i32.const 0))
        (loop $dims
          (local.set $ql (v128.load (i32.add (local.get $query) (i32.shl (local.get $c) (i32.const 1)))))
          (local.set $qh (v128.load offset=16 (i32.add (local.get $query) (i32.shl (local.get $c) (i32.const 1)))))
          (local.set $a0 (i32x4.add (local.get $a0) (i32x4.add
            (i32x4.dot_i16x8_s (v128.load8x8_s align=1 (i32.add (local.get $r0) (local.get $c))) (local.get $ql))
            (i32x4.dot_i16x8_s (v128.load8x8_s offset=8 align=1 (i32.add (local.get $r0) (local.get $c))) (local.get $qh)))))
          (local.set $a1 (i32x4.add (local.get $a1) (i32x4.add
            (i32x4.dot_i16x8_s (v128.load8x8_s align=1 (i32.add (local.get $r1) (local.get $c))) (local.get $ql))
            (i32x4.dot_i16x8_s (v128.load8x8_s offset=8 align=1 (i32.add (local.get $r1) (local.get $c))) (local.get $qh)))))
          (local.set $a2 (i32x4.add (local.get $a2) (i32x4.add
            (i32x4.dot_i16x8_s (v128.load8x8_s align=1 (i32.add (local.get $r2) (local.get $c))) (local.get $ql))
            (i32x4.dot_i16x8_s (v128.load8x8_s offset=8 align=1 (i32.add (local.get $r2) (local.get $c))) (local.get $qh)))))
          (local.set $a3 (i32x4.add (local.get $a3) (i32x4.add
            (i32x4.dot_i16x8_s (v128.load8x8_s align=1 (i32.add (local.get $r3) (local.get $c))) (local.get $ql))
            (i32x4.dot_i16x8_s (v128.load8x8_s offset=8 align=1 (i32.add (local.get $r3) (local.get $c))) (local.get $qh)))))
          (local.set $c (i32.add (local.get $c) (i32.const 16)))
          (br_if $dims (i32.lt_u (local.get $c) (local.get $span))))
        (local.set $k (i32.shl (local.get $i) (i32.const 2)))
        (local.set $s (call $finish4 (call $hsum4 (local.get $a0) (local.get $a1) (local.get $a2) (local.get $a3))
          (local.get $scales) (local.get $biases) (local.get $k) (local.get $vq) (local.get $vb)))
        ;; A full block whose scores all fail the floor is the common case: one compare.
        (if (i32.or (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $n))
              (v128.any_true (f32x4.gt (local.get $s) (f32x4.splat (local.get $floor)))))
          (then
            (local.set $lane (i32.const 0))
            (block $lanes_done
              (loop $lanes
                (br_if $lanes_done (i32.ge_u (i32.add (local.get $i) (local.get $lane)) (local.get $n)))
                (br_if $lanes_done (i32.ge_u (local.get $lane) (i32.const 4)))
                (local.set $floor (call $offer (i32.const 0) (local.get $items) (local.get $scores) (local.get $lenPtr) (local.get $cap)
                  (local.get $useAccept) (i32.add (local.get $i) (local.get $lane))
                  (f32x4.extract_lane 0 (i8x16.swizzle (local.get $s)
                    (i8x16.add (i8x16.splat (i32.shl (local.get $lane) (i32.const 2))) (v128.const i8x16 0 1 2 3 0 1 2 3 0 1 2 3 0 1 2 3))))))
                (local.set $lane (i32.add (local.get $lane) (i32.const 1)))
                (br $lanes)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $rows)))
    (i32.load (local.get $lenPtr)))

  ;; topInt8 for rows of exactly 64 values, the common case, unrolled: a block of four rows is
  ;; 256 contiguous bytes read at constant offsets, the query is held in eight locals, and
  ;; the four rows' dots are summed and finished as in topInt8 (the same scores, the same list).
  (func (export "topInt8D64")
    (param $values i32) (param $scales i32) (param $biases i32) (param $query i32)
    (param $n i32) (param $qScale f64) (param $queryBias f64)
    (param $items i32) (param $scores i32) (param $lenPtr i32) (param $cap i32) (param $useAccept i32)
    (result i32)
    (local $i i32) (local $p i32) (local $nFull i32) (local $lane i32) (local $floor f32)
    (local $q0 v128) (local $q1 v128) (local $q2 v128) (local $q3 v128) (local $q4 v128) (local $q5 v128) (local $q6 v128) (local $q7 v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $vq v128) (local $vb v128) (local $s v128)
    (local $x v128) (local $y v128) (local $sc v128) (local $b v128) (local $ps i32) (local $pb i32)
    (i32.store (local.get $lenPtr) (i32.const 0))
    (if (i32.eqz (local.get $cap)) (then (return (i32.const 0))))
    (local.set $ps (local.get $scales))
    (local.set $pb (local.get $biases))
    (local.set $floor (f32.const -inf))
    (local.set $vq (f64x2.splat (local.get $qScale)))
    (local.set $vb (f64x2.splat (local.get $queryBias)))
    (local.set $q0 (v128.load offset=0 (local.get $query)))
    (local.set $q1 (v128.load offset=16 (local.get $query)))
    (local.set $q2 (v128.load offset=32 (local.get $query)))
    (local.set $q3 (v128.load offset=48 (local.get $query)))
    (local.set $q4 (v128.load offset=64 (local.get $query)))
    (local.set $q5 (v128.load offset=80 (local.get $query)))
    (local.set $q6 (v128.load offset=96 (local.get $query)))
    (local.set $q7 (v128.load offset=112 (local.get $query)))
    (local.set $nFull (i32.and (local.get $n) (i32.const -4)))
    (local.set $p (local.get $values))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $i) (local.get $nFull)))
        (local.set $a0 (i32x4.dot_i16x8_s (v128.load8x8_s offset=0 align=1 (local.get $p)) (local.get $q0)))
        (local.set $a1 (i32x4.dot_i16x8_s (v128.load8x8_s offset=64 align=1 (local.get $p)) (local.get $q0)))
        (local.set $a2 (i32x4.dot_i16x8_s (v128.load8x8_s offset=128 align=1 (local.get $p)) (local.get $q0)))
        (local.set $a3 (i32x4.dot_i16x8_s (v128.load8x8_s offset=192 align=1 (local.get $p)) (local.get $q0)))
        (local.set $a0 (i32x4.add (local.get $a0) (i32x4.dot_i16x8_s (v128.load8x8_s offset=8 align=1 (local.get $p)) (local.get $q1))))
        (local.set $a1 (i32x4.add (local.get $a1) (i32x4.dot_i16x8_s (v128.load8x8_s offset=72 align=1 (local.get $p)) (local.get $q1))))
        (local.set $a2 (i32x4.add (local.get $a2) (i32x4.dot_i16x8_s (v128.load8x8_s offset=136 align=1 (local.get $p)) (local.get $q1))))
        (local.set $a3 (i32x4.add (local.get $a3) (i32x4.dot_i16x8_s (v128.load8x8_s offset=200 align=1 (local.get $p)) (local.get $q1))))
        (local.set $a0 (i32x4.add (local.get $a0) (i32x4.dot_i16x8_s (v128.load8x8_s offset=16 align=1 (local.get $p)) (local.get $q2))))
        (local.set $a1 (i32x4.add (local.get $a1) (i32x4.dot_i16x8_s (v128.load8x8_s offset=80 align=1 (local.get $p)) (local.get $q2))))
        (local.set $a2 (i32x4.add (local.get $a2) (i32x4.dot_i16x8_s (v128.load8x8_s offset=144 align=1 (local.get $p)) (local.get $q2))))
        (local.set $a3 (i32x4.add (local.get $a3) (i32x4.dot_i16x8_s (v128.load8x8_s offset=208 align=1 (local.get $p)) (local.get $q2))))
        (local.set $a0 (i32x4.add (local.get $a0) (i32x4.dot_i16x8_s (v128.load8x8_s offset=24 align=1 (local.get $p)) (local.get $q3))))
        (local.set $a1 (i32x4.add (local.get $a1) (i32x4.dot_i16x8_s (v128.load8x8_s offset=88 align=1 (local.get $p)) (local.get $q3))))
        (local.set $a2 (i32x4.add (local.get $a2) (i32x4.dot_i16x8_s (v128.load8x8_s offset=152 align=1 (local.get $p)) (local.get $q3))))
        (local.set $a3 (i32x4.add (local.get $a3) (i32x4.dot_i16x8_s (v128.load8x8_s offset=216 align=1 (local.get $p)) (local.get $q3))))
        (local.set $a0 (i32x4.add (local.get $a0) (i32x4.dot_i16x8_s (v128.load8x8_s offset=32 align=1 (local.get $p)) (local.get $q4))))
        (local.set $a1 (i32x4.add (local.get $a1) (i32x4.dot_i16x8_s (v128.load8x8_s offset=96 align=1 (local.get $p)) (local.get $q4))))
        (local.set $a2 (i32x4.add (local.get $a2) (i32x4.dot_i16x8_s (v128.load8x8_s offset=160 align=1 (local.get $p)) (local.get $q4))))
        (local.set $a3 (i32x4.add (local.get $a3) (i32x4.dot_i16x8_s (v128.load8x8_s offset=224 align=1 (local.get $p)) (local.get $q4))))
        (local.set $a0 (i32x4.add (local.get $a0) (i32x4.dot_i16x8_s (v128.load8x8_s offset=40 align=1 (local.get $p)) (local.get $q5))))
        (local.set $a1 (i32x4.add (local.get $a1) (i32x4.dot_i16x8_s (v128.load8x8_s offset=104 align=1 (local.get $p)) (local.get $q5))))
        (local.set $a2 (i32x4.add (local.get $a2) (i32x4.dot_i16x8_s (v128.load8x8_s offset=168 align=1 (local.get $p)) (local.get $q5))))
        (local.set $a3 (i32x4.add (local.get $a3) (i32x4.dot_i16x8_s (v128.load8x8_s offset=232 align=1 (local.get $p)) (local.get $q5))))
        (local.set $a0 (i32x4.add (local.get $a0) (i32x4.dot_i16x8_s (v128.load8x8_s offset=48 align=1 (local.get $p)) (local.get $q6))))
        (local.set $a1 (i32x4.add (local.get $a1) (i32x4.dot_i16x8_s (v128.load8x8_s offset=112 align=1 (local.get $p)) (local.get $q6))))
        (local.set $a2 (i32x4.add (local.get $a2) (i32x4.dot_i16x8_s (v128.load8x8_s offset=176 align=1 (local.get $p)) (local.get $q6))))
        (local.set $a3 (i32x4.add (local.get $a3) (i32x4.dot_i16x8_s (v128.load8x8_s offset=240 align=1 (local.get $p)) (local.get $q6))))
        (local.set $a0 (i32x4.add (local.get $a0) (i32x4.dot_i16x8_s (v128.load8x8_s offset=56 align=1 (local.get $p)) (local.get $q7))))
        (local.set $a1 (i32x4.add (local.get $a1) (i32x4.dot_i16x8_s (v128.load8x8_s offset=120 align=1 (local.get $p)) (local.get $q7))))
        (local.set $a2 (i32x4.add (local.get $a2) (i32x4.dot_i16x8_s (v128.load8x8_s offset=184 align=1 (local.get $p)) (local.get $q7))))
        (local.set $a3 (i32x4.add (local.get $a3) (i32x4.dot_i16x8_s (v128.load8x8_s offset=248 align=1 (local.get $p)) (local.get $q7))))
        ;; $hsum4 and $finish4, written out (calls cost more than the block's arithmetic)
        (local.set $x (i32x4.add
          (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a0) (local.get $a1))
          (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a0) (local.get $a1))))
        (local.set $y (i32x4.add
          (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a2) (local.get $a3))
          (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a2) (local.get $a3))))
        (local.set $x (i32x4.add
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $x) (local.get $y))
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $x) (local.get $y))))
        (local.set $sc (v128.load align=4 (local.get $ps)))
        (if (local.get $biases) (then (local.set $b (v128.load align=4 (local.get $pb)))))
        (local.set $s (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (f32x4.demote_f64x2_zero (f64x2.add (f64x2.add
            (f64x2.mul (f64x2.mul (f64x2.convert_low_i32x4_s (local.get $x)) (f64x2.promote_low_f32x4 (local.get $sc))) (local.get $vq))
            (f64x2.promote_low_f32x4 (local.get $b))) (local.get $vb)))
          (f32x4.demote_f64x2_zero (f64x2.add (f64x2.add
            (f64x2.mul (f64x2.mul
              (f64x2.convert_low_i32x4_s (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x)))
              (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $sc) (local.get $sc))))
              (local.get $vq))
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $b) (local.get $b)))) (local.get $vb)))))
        (if (v128.any_true (f32x4.gt (local.get $s) (f32x4.splat (local.get $floor))))
          (then
            (local.set $lane (i32.const 0))
            (loop $lanes
              (local.set $floor (call $offer (i32.const 0) (local.get $items) (local.get $scores) (local.get $lenPtr) (local.get $cap)
                (local.get $useAccept) (i32.add (local.get $i) (local.get $lane))
                (f32x4.extract_lane 0 (i8x16.swizzle (local.get $s)
                  (i8x16.add (i8x16.splat (i32.shl (local.get $lane) (i32.const 2))) (v128.const i8x16 0 1 2 3 0 1 2 3 0 1 2 3 0 1 2 3))))))
              (local.set $lane (i32.add (local.get $lane) (i32.const 1)))
              (br_if $lanes (i32.lt_u (local.get $lane) (i32.const 4))))))
        (local.set $p (i32.add (local.get $p) (i32.const 256)))
        (local.set $ps (i32.add (local.get $ps) (i32.const 16)))
        (local.set $pb (i32.add (local.get $pb) (i32.const 16)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $rows)))
    ;; The last n % 4 rows, and the list's length.
    (if (result i32) (i32.lt_u (local.get $nFull) (local.get $n))
      (then (call $topInt8Rest (local.get $values) (local.get $scales) (local.get $biases) (local.get $query) (local.get $n) (i32.const 64)
        (local.get $qScale) (local.get $queryBias) (local.get $items) (local.get $scores) (local.get $lenPtr) (local.get $cap) (local.get $useAccept)
        (local.get $nFull) (local.get $floor)))
      (else (i32.load (local.get $lenPtr)))))

;; ---- Several queries in one pass ----------------------------------------------------
  ;;
  ;; topInt8Batch scores every int8 row against up to four queries at once: each row is
  ;; read (and widened to i16) once for all of them, and each query keeps its own top
  ;; list, as topInt8 would for it alone (the same dots, finished in the same order, the
  ;; same lists). $queries holds the i16 queries one after the other, align16(dim) values
  ;; each; $params the f64 qScale of each query, then the f64 queryBias of each (8 values);
  ;; list q is at $items + q * 4 * cap, $scores + q * 4 * cap, its length at $lens + 4 q,
  ;; and accept(q, item) is its filter. Queries past $count keep empty lists.
  (func (export "topInt8Batch")
    (param $values i32) (param $scales i32) (param $biases i32) (param $queries i32) (param $count i32)
    (param $n i32) (param $dim i32) (param $params i32)
    (param $items i32) (param $scores i32) (param $lens i32) (param $cap i32) (param $useAccept i32)
    (local $i i32) (local $c i32) (local $span i32) (local $qStride i32) (local $row i32) (local $q i32) (local $lane i32)
    (local $lo v128) (local $hi v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $qs01 v128) (local $qs23 v128) (local $qb01 v128) (local $qb23 v128) (local $sc v128) (local $b v128)
    (local $s v128) (local $floors v128) (local $dots v128) (local $fl f32)
    (i64.store (local.get $lens) (i64.const 0))
    (i64.store offset=8 (local.get $lens) (i64.const 0))
    (if (i32.or (i32.or (i32.le_s (local.get $dim) (i32.const 0)) (i32.eqz (local.get $cap))) (i32.eqz (local.get $count))) (then (return)))
    (local.set $span (i32.and (i32.add (local.get $dim) (i32.const 15)) (i32.const -16)))
    (local.set $qStride (i32.shl (local.get $span) (i32.const 1)))
    (local.set $qs01 (v128.load offset=0 (local.get $params)))
    (local.set $qs23 (v128.load offset=16 (local.get $params)))
    (local.set $qb01 (v128.load offset=32 (local.get $params)))
    (local.set $qb23 (v128.load offset=48 (local.get $params)))
    ;; lists of absent queries never take anything: their floor is +inf
    (local.set $floors (v128.const f32x4 -inf -inf -inf -inf))
    (if (i32.lt_u (local.get $count) (i32.const 4)) (then (local.set $floors (f32x4.replace_lane 3 (local.get $floors) (f32.const inf)))))
    (if (i32.lt_u (local.get $count) (i32.const 3)) (then (local.set $floors (f32x4.replace_lane 2 (local.get $floors) (f32.const inf)))))
    (if (i32.lt_u (local.get $count) (i32.const 2)) (then (local.set $floors (f32x4.replace_lane 1 (local.get $floors) (f32.const inf)))))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $row (i32.add (local.get $values) (i32.mul (local.get $i) (local.get $dim))))
        (local.set $a0 (v128.const i32x4 0 0 0 0)) (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0)) (local.set $a3 (v128.const i32x4 0 0 0 0))
        (local.set $c (i32.const 0))
        (loop $dims
          (local.set $lo (v128.load8x8_s align=1 (i32.add (local.get $row) (local.get $c))))
          (local.set $hi (v128.load8x8_s offset=8 align=1 (i32.add (local.get $row) (local.get $c))))
          (local.set $q (i32.add (local.get $queries) (i32.shl (local.get $c) (i32.const 1))))
          (local.set $a0 (i32x4.add (local.get $a0) (i32x4.add
            (i32x4.dot_i16x8_s (local.get $lo) (v128.load (local.get $q))) (i32x4.dot_i16x8_s (local.get $hi) (v128.load offset=16 (local.get $q))))))
          (local.set $q (i32.add (local.get $q) (local.get $qStride)))
          (local.set $a1 (i32x4.add (local.get $a1) (i32x4.add
            (i32x4.dot_i16x8_s (local.get $lo) (v128.load (local.get $q))) (i32x4.dot_i16x8_s (local.get $hi) (v128.load offset=16 (local.get $q))))))
          (local.set $q (i32.add (local.get $q) (local.get $qStride)))
          (local.set $a2 (i32x4.add (local.get $a2) (i32x4.add
            (i32x4.dot_i16x8_s (local.get $lo) (v128.load (local.get $q))) (i32x4.dot_i16x8_s (local.get $hi) (v128.load offset=16 (local.get $q))))))
          (local.set $q (i32.add (local.get $q) (local.get $qStride)))
          (local.set $a3 (i32x4.add (local.get $a3) (i32x4.add
            (i32x4.dot_i16x8_s (local.get $lo) (v128.load (local.get $q))) (i32x4.dot_i16x8_s (local.get $hi) (v128.load offset=16 (local.get $q))))))
          (local.set $c (i32.add (local.get $c) (i32.const 16)))
          (br_if $dims (i32.lt_u (local.get $c) (local.get $span))))
        ;; lane q of $dots: the row's dot with query q
        (local.set $dots (call $hsum4 (local.get $a0) (local.get $a1) (local.get $a2) (local.get $a3)))
        (local.set $sc (f32x4.splat (f32.load (i32.add (local.get $scales) (i32.shl (local.get $i) (i32.const 2))))))
        (local.set $b (v128.const i32x4 0 0 0 0))
        (if (local.get $biases) (then (local.set $b (f32x4.splat (f32.load (i32.add (local.get $biases) (i32.shl (local.get $i) (i32.const 2))))))))
        (local.set $s (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (call $finish2 (local.get $dots) (local.get $sc) (local.get $qs01) (local.get $b) (local.get $qb01))
          (call $finish2 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $dots) (local.get $dots))
            (local.get $sc) (local.get $qs23) (local.get $b) (local.get $qb23))))
        (if (v128.any_true (f32x4.gt (local.get $s) (local.get $floors)))
          (then
            (local.set $lane (i32.const 0))
            (loop $lanes
              (local.set $fl (call $offer (local.get $lane)
                (i32.add (local.get $items) (i32.mul (local.get $lane) (i32.shl (local.get $cap) (i32.const 2))))
                (i32.add (local.get $scores) (i32.mul (local.get $lane) (i32.shl (local.get $cap) (i32.const 2))))
                (i32.add (local.get $lens) (i32.shl (local.get $lane) (i32.const 2)))
                (local.get $cap) (local.get $useAccept) (local.get $i)
                (f32x4.extract_lane 0 (i8x16.swizzle (local.get $s)
                  (i8x16.add (i8x16.splat (i32.shl (local.get $lane) (i32.const 2))) (v128.const i8x16 0 1 2 3 0 1 2 3 0 1 2 3 0 1 2 3))))))
              (local.set $floors (call $setLane (local.get $floors) (local.get $lane) (local.get $fl)))
              (local.set $lane (i32.add (local.get $lane) (i32.const 1)))
              ;; only the lists of the queries given (absent ones keep +inf and stay empty)
              (br_if $lanes (i32.lt_u (local.get $lane) (local.get $count))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows))))

  ;; v with lane k (0..3) set to x
  (func $setLane (param $v v128) (param $k i32) (param $x f32) (result v128)
    (if (result v128) (i32.eqz (local.get $k)) (then (f32x4.replace_lane 0 (local.get $v) (local.get $x)))
      (else (if (result v128) (i32.eq (local.get $k) (i32.const 1)) (then (f32x4.replace_lane 1 (local.get $v) (local.get $x)))
        (else (if (result v128) (i32.eq (local.get $k) (i32.const 2)) (then (f32x4.replace_lane 2 (local.get $v) (local.get $x)))
          (else (f32x4.replace_lane 3 (local.get $v) (local.get $x)))))))))

  ;; ---- The compressed path: 4-bit codes, then int8 rescoring --------------------------
  ;;
  ;; For catalogs past 250,000 items (wasm-kernel.ts): each int8 row is also kept as 4-bit
  ;; codes, u = round(v / step) + 8 in 1..15 with step = max |v| / 7 of that row, two codes
  ;; a byte: in each 16 bytes, the low nibbles are 16 values and the high nibbles the next
  ;; 16 (dim must be a multiple of 32). scales4[i] = scales[i] * step. A coarse pass
  ;; scores the codes against the query quantised to 7 bits (|q| <= 63) and keeps the
  ;; best `cap` in a top list; scoreRowsInt8 then scores those rows exactly.
  ;;
  ;; dot(q, code) = dot(q, u) - 8 * sum(q), exact in i32 (63 * 15 * dim is far below 2^31).

  ;; As topInt8, over 4-bit codes (rows of dim / 2 bytes) with an i16 query holding 7-bit
  ;; values; $qSum8 is 8 * sum(q). Returns the list's length.
  (func (export "topInt4")
    (param $codes i32) (param $scales i32) (param $biases i32) (param $query i32)
    (param $n i32) (param $dim i32) (param $qScale f64) (param $queryBias f64) (param $qSum8 i32)
    (param $items i32) (param $scores i32) (param $lenPtr i32) (param $cap i32) (param $useAccept i32)
    (result i32)
    (local $i i32) (local $stride i32) (local $c i32) (local $qc i32) (local $r0 i32) (local $r1 i32) (local $r2 i32) (local $r3 i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $q0 v128) (local $q1 v128) (local $q2 v128) (local $q3 v128) (local $x v128) (local $lo v128) (local $hi v128)
    (local $mask v128) (local $vq v128) (local $vb v128) (local $s v128) (local $floor f32) (local $lane i32)
    (i32.store (local.get $lenPtr) (i32.const 0))
    (if (i32.or (i32.le_s (local.get $dim) (i32.const 0)) (i32.eqz (local.get $cap))) (then (return (i32.const 0))))
    (local.set $floor (f32.const -inf))
    (local.set $mask (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15))
    (local.set $vq (f64x2.splat (local.get $qScale)))
    (local.set $vb (f64x2.splat (local.get $queryBias)))
    (local.set $stride (i32.shr_u (local.get $dim) (i32.const 1)))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $r0 (i32.add (local.get $codes) (i32.mul (local.get $i) (local.get $stride))))
        (local.set $r1 (i32.add (local.get $r0) (local.get $stride)))
        (local.set $r2 (i32.add (local.get $r1) (local.get $stride)))
        (local.set $r3 (i32.add (local.get $r2) (local.get $stride)))
        (if (i32.ge_u (i32.add (local.get $i) (i32.const 3)) (local.get $n))
          (then
            (local.set $r3 (local.get $r0))
            (if (i32.ge_u (i32.add (local.get $i) (i32.const 2)) (local.get $n)) (then (local.set $r2 (local.get $r0))))
            (if (i32.ge_u (i32.add (local.get $i) (i32.const 1)) (local.get $n)) (then (local.set $r1 (local.get $r0))))))
        (local.set $a0 (v128.const i32x4 0 0 0 0)) (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0)) (local.set $a3 (v128.const i32x4 0 0 0 0))
        (local.set $c (i32.const 0))
        (local.set $qc (local.get $query))
        (loop $chunks
          (local.set $q0 (v128.load offset=0 (local.get $qc)))
          (local.set $q1 (v128.load offset=16 (local.get $qc)))
          (local.set $q2 (v128.load offset=32 (local.get $qc)))
          (local.set $q3 (v128.load offset=48 (local.get $qc)))
          (local.set $x (v128.load align=1 (i32.add (local.get $r0) (local.get $c))))
          (local.set $lo (v128.and (local.get $x) (local.get $mask)))
          (local.set $hi (i8x16.shr_u (local.get $x) (i32.const 4)))
          (local.set $a0 (i32x4.add (local.get $a0) (i32x4.add
            (i32x4.add (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_u (local.get $lo)) (local.get $q0))
                       (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_u (local.get $lo)) (local.get $q1)))
            (i32x4.add (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_u (local.get $hi)) (local.get $q2))
                       (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_u (local.get $hi)) (local.get $q3))))))
          (local.set $x (v128.load align=1 (i32.add (local.get $r1) (local.get $c))))
          (local.set $lo (v128.and (local.get $x) (local.get $mask)))
          (local.set $hi (i8x16.shr_u (local.get $x) (i32.const 4)))
          (local.set $a1 (i32x4.add (local.get $a1) (i32x4.add
            (i32x4.add (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_u (local.get $lo)) (local.get $q0))
                       (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_u (local.get $lo)) (local.get $q1)))
            (i32x4.add (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_u (local.get $hi)) (local.get $q2))
                       (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_u (local.get $hi)) (local.get $q3))))))
          (local.set $x (v128.load align=1 (i32.add (local.get $r2) (local.get $c))))
          (local.set $lo (v128.and (local.get $x) (local.get $mask)))
          (local.set $hi (i8x16.shr_u (local.get $x) (i32.const 4)))
          (local.set $a2 (i32x4.add (local.get $a2) (i32x4.add
            (i32x4.add (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_u (local.get $lo)) (local.get $q0))
                       (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_u (local.get $lo)) (local.get $q1)))
            (i32x4.add (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_u (local.get $hi)) (local.get $q2))
                       (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_u (local.get $hi)) (local.get $q3))))))
          (local.set $x (v128.load align=1 (i32.add (local.get $r3) (local.get $c))))
          (local.set $lo (v128.and (local.get $x) (local.get $mask)))
          (local.set $hi (i8x16.shr_u (local.get $x) (i32.const 4)))
          (local.set $a3 (i32x4.add (local.get $a3) (i32x4.add
            (i32x4.add (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_u (local.get $lo)) (local.get $q0))
                       (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_u (local.get $lo)) (local.get $q1)))
            (i32x4.add (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_u (local.get $hi)) (local.get $q2))
                       (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_u (local.get $hi)) (local.get $q3))))))
          (local.set $qc (i32.add (local.get $qc) (i32.const 64)))
          (local.set $c (i32.add (local.get $c) (i32.const 16)))
          (br_if $chunks (i32.lt_u (local.get $c) (local.get $stride))))
        (local.set $s (call $finish4
          (i32x4.sub (call $hsum4 (local.get $a0) (local.get $a1) (local.get $a2) (local.get $a3)) (i32x4.splat (local.get $qSum8)))
          (local.get $scales) (local.get $biases) (i32.shl (local.get $i) (i32.const 2)) (local.get $vq) (local.get $vb)))
        (if (i32.or (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $n))
              (v128.any_true (f32x4.gt (local.get $s) (f32x4.splat (local.get $floor)))))
          (then
            (local.set $lane (i32.const 0))
            (block $lanes_done
              (loop $lanes
                (br_if $lanes_done (i32.ge_u (i32.add (local.get $i) (local.get $lane)) (local.get $n)))
                (br_if $lanes_done (i32.ge_u (local.get $lane) (i32.const 4)))
                (local.set $floor (call $offer (i32.const 0) (local.get $items) (local.get $scores) (local.get $lenPtr) (local.get $cap)
                  (local.get $useAccept) (i32.add (local.get $i) (local.get $lane))
                  (f32x4.extract_lane 0 (i8x16.swizzle (local.get $s)
                    (i8x16.add (i8x16.splat (i32.shl (local.get $lane) (i32.const 2))) (v128.const i8x16 0 1 2 3 0 1 2 3 0 1 2 3 0 1 2 3))))))
                (local.set $lane (i32.add (local.get $lane) (i32.const 1)))
                (br $lanes)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $rows)))
    (i32.load (local.get $lenPtr)))

  ;; out[k] = the int8 score of row rows[k] (as scoreInt8), for k < count: the rescoring of
  ;; the coarse pass's candidates.
  (func (export "scoreRowsInt8")
    (param $values i32) (param $scales i32) (param $biases i32) (param $query i32) (param $rows i32) (param $count i32)
    (param $dim i32) (param $qScale f64) (param $queryBias f64) (param $out i32)
    (local $k i32) (local $row i32) (local $p i32) (local $q i32) (local $end i32) (local $acc v128) (local $bias f64)
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $k) (local.get $count)))
        (local.set $row (i32.load (i32.add (local.get $rows) (i32.shl (local.get $k) (i32.const 2)))))
        (local.set $p (i32.add (local.get $values) (i32.mul (local.get $row) (local.get $dim))))
        (local.set $end (i32.add (local.get $p) (i32.and (i32.add (local.get $dim) (i32.const 15)) (i32.const -16))))
        (local.set $q (local.get $query))
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (loop $dims
          (local.set $acc (i32x4.add (local.get $acc) (i32x4.add
            (i32x4.dot_i16x8_s (v128.load8x8_s align=1 (local.get $p)) (v128.load (local.get $q)))
            (i32x4.dot_i16x8_s (v128.load8x8_s offset=8 align=1 (local.get $p)) (v128.load offset=16 (local.get $q))))))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (local.set $q (i32.add (local.get $q) (i32.const 32)))
          (br_if $dims (i32.lt_u (local.get $p) (local.get $end))))
        (local.set $bias (f64.const 0))
        (if (local.get $biases)
          (then (local.set $bias (f64.promote_f32 (f32.load (i32.add (local.get $biases) (i32.shl (local.get $row) (i32.const 2))))))))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $k) (i32.const 2)))
          (f32.demote_f64 (f64.add (f64.add
            (f64.mul (f64.mul
              (f64.convert_i32_s (i32.add
                (i32.add (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 1 (local.get $acc)))
                (i32.add (i32x4.extract_lane 2 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc)))))
              (f64.promote_f32 (f32.load (i32.add (local.get $scales) (i32.shl (local.get $row) (i32.const 2))))))
              (local.get $qScale))
            (local.get $bias)) (local.get $queryBias))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $each))))

  ;; Builds the 4-bit codes, their scales and each row's sum of codes (usum, i32: for the
  ;; relaxed pass) from n int8 rows (see above).
  (func (export "buildInt4")
    (param $values i32) (param $scales i32) (param $n i32) (param $dim i32) (param $codes i32) (param $scales4 i32) (param $usum i32)
    (local $i i32) (local $j i32) (local $row i32) (local $m i32) (local $v i32) (local $step f32) (local $u i32) (local $byte i32) (local $out i32)
    (local $sum i32)
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $row (i32.add (local.get $values) (i32.mul (local.get $i) (local.get $dim))))
        (local.set $m (i32.const 0))
        (local.set $j (i32.const 0))
        (block $max_done
          (loop $max
            (br_if $max_done (i32.ge_u (local.get $j) (local.get $dim)))
            (local.set $v (i32.load8_s (i32.add (local.get $row) (local.get $j))))
            (if (i32.lt_s (local.get $v) (i32.const 0)) (then (local.set $v (i32.sub (i32.const 0) (local.get $v)))))
            (if (i32.gt_s (local.get $v) (local.get $m)) (then (local.set $m (local.get $v))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $max)))
        (local.set $step (if (result f32) (local.get $m)
          (then (f32.div (f32.convert_i32_s (local.get $m)) (f32.const 7)))
          (else (f32.const 1))))
        (f32.store (i32.add (local.get $scales4) (i32.shl (local.get $i) (i32.const 2)))
          (f32.mul (f32.load (i32.add (local.get $scales) (i32.shl (local.get $i) (i32.const 2)))) (local.get $step)))
        (local.set $out (i32.add (local.get $codes) (i32.mul (local.get $i) (i32.shr_u (local.get $dim) (i32.const 1)))))
        (local.set $j (i32.const 0))
        (local.set $sum (i32.const 0))
        (block $codes_done
          (loop $each
            (br_if $codes_done (i32.ge_u (local.get $j) (local.get $dim)))
            ;; value j goes to byte (j / 32) * 16 + j % 16, low nibble when j % 32 < 16
            (local.set $u (i32.add (i32.trunc_f32_s (f32.nearest (f32.div
              (f32.convert_i32_s (i32.load8_s (i32.add (local.get $row) (local.get $j)))) (local.get $step)))) (i32.const 8)))
            (local.set $sum (i32.add (local.get $sum) (local.get $u)))
            (local.set $byte (i32.add (local.get $out)
              (i32.add (i32.shl (i32.shr_u (local.get $j) (i32.const 5)) (i32.const 4)) (i32.and (local.get $j) (i32.const 15)))))
            (i32.store8 (local.get $byte)
              (i32.or (i32.load8_u (local.get $byte))
                (i32.shl (local.get $u) (i32.shl (i32.and (i32.shr_u (local.get $j) (i32.const 4)) (i32.const 1)) (i32.const 2)))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $each)))
        (i32.store (i32.add (local.get $usum) (i32.shl (local.get $i) (i32.const 2))) (local.get $sum))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows))))

  ;; Reads `bytes` bytes from $p (a multiple of 64) and sums them as i32 lanes: the least
  ;; work that still reads every byte, so its time is the memory floor of a kernel that
  ;; scores the same rows. Returns the sum (so that the reads cannot be left out).
  (func (export "sumBytes") (param $p i32) (param $bytes i32) (result i32)
    (local $end i32) (local $a v128) (local $b v128) (local $c v128) (local $d v128)
    (local.set $end (i32.add (local.get $p) (local.get $bytes)))
    (block $done
      (loop $chunks
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $a (i32x4.add (local.get $a) (v128.load (local.get $p))))
        (local.set $b (i32x4.add (local.get $b) (v128.load offset=16 (local.get $p))))
        (local.set $c (i32x4.add (local.get $c) (v128.load offset=32 (local.get $p))))
        (local.set $d (i32x4.add (local.get $d) (v128.load offset=48 (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.const 64)))
        (br $chunks)))
    (local.set $a (call $hsum4 (local.get $a) (local.get $b) (local.get $c) (local.get $d)))
    (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $a)) (i32x4.extract_lane 1 (local.get $a)))
      (i32.add (i32x4.extract_lane 2 (local.get $a)) (i32x4.extract_lane 3 (local.get $a)))))
)
