;; The dense f64 kernel of the EASE solver: C -= X * Y^T over packed panels. It is the
;; update that takes nearly all the time of the blocked inversion in spd-inverse.ts.
;;
;; Pointers are byte offsets into the imported memory (shared, so that the solver's threads
;; work on one matrix):
;;   c   an m x n block of a row-major matrix whose rows are $ldc bytes apart
;;   x   m rows of length kk, packed in panels of 4 rows: within a panel, for each pair of
;;       columns (k, k+1), the pairs of rows 0..3 follow each other:
;;       x0[k] x0[k+1] x1[k] x1[k+1] x2[k] x2[k+1] x3[k] x3[k+1], then k+2 ...
;;   y   n rows of length kk, packed the same way in panels of 2 rows
;; m must be a multiple of 4, n of 2 and kk of 2 (callers pad their matrices).
;;
;; Each 4 x 2 tile of C keeps its 8 dot products in f64x2 accumulators, one lane for the
;; even columns and one for the odd, summed when the tile is stored. One step of the inner
;; loop loads 6 vectors and does 8 multiply-adds, which keeps the 16 vector registers of
;; x86-64 busy without spilling (4 x 4 tiles spill and run slower).
;;
;; Compiled by scripts/build-wasm.ts into dense-simd-wasm.ts (base64), which is committed;
;; a test checks that the two agree.
(module
  (import "env" "memory" (memory 1 65536 shared))

  (func (export "gemmNtSub")
    (param $c i32) (param $ldc i32) (param $x i32) (param $y i32)
    (param $m i32) (param $n i32) (param $kk i32)
    (local $i i32) (local $j i32) (local $px i32) (local $py i32) (local $yPanel i32)
    (local $end i32) (local $xPanelBytes i32) (local $row i32)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128)
    (local $y0 v128) (local $y1 v128)
    (local $a00 v128) (local $a01 v128) (local $a10 v128) (local $a11 v128)
    (local $a20 v128) (local $a21 v128) (local $a30 v128) (local $a31 v128)
    ;; a panel of 4 rows of x holds 4 * kk float64 values
    (local.set $xPanelBytes (i32.shl (local.get $kk) (i32.const 5)))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $j (i32.const 0))
        (local.set $yPanel (local.get $y))
        (block $cols_done
          (loop $cols
            (br_if $cols_done (i32.ge_u (local.get $j) (local.get $n)))
            (local.set $a00 (v128.const i64x2 0 0)) (local.set $a01 (v128.const i64x2 0 0))
            (local.set $a10 (v128.const i64x2 0 0)) (local.set $a11 (v128.const i64x2 0 0))
            (local.set $a20 (v128.const i64x2 0 0)) (local.set $a21 (v128.const i64x2 0 0))
            (local.set $a30 (v128.const i64x2 0 0)) (local.set $a31 (v128.const i64x2 0 0))
            (local.set $px (local.get $x))
            (local.set $py (local.get $yPanel))
            (local.set $end (i32.add (local.get $x) (local.get $xPanelBytes)))
            (block $k_done
              (loop $k
                (br_if $k_done (i32.ge_u (local.get $px) (local.get $end)))
                (local.set $y0 (v128.load offset=0 (local.get $py)))
                (local.set $y1 (v128.load offset=16 (local.get $py)))
                (local.set $x0 (v128.load offset=0 (local.get $px)))
                (local.set $a00 (f64x2.add (local.get $a00) (f64x2.mul (local.get $x0) (local.get $y0))))
                (local.set $a01 (f64x2.add (local.get $a01) (f64x2.mul (local.get $x0) (local.get $y1))))
                (local.set $x1 (v128.load offset=16 (local.get $px)))
                (local.set $a10 (f64x2.add (local.get $a10) (f64x2.mul (local.get $x1) (local.get $y0))))
                (local.set $a11 (f64x2.add (local.get $a11) (f64x2.mul (local.get $x1) (local.get $y1))))
                (local.set $x2 (v128.load offset=32 (local.get $px)))
                (local.set $a20 (f64x2.add (local.get $a20) (f64x2.mul (local.get $x2) (local.get $y0))))
                (local.set $a21 (f64x2.add (local.get $a21) (f64x2.mul (local.get $x2) (local.get $y1))))
                (local.set $x3 (v128.load offset=48 (local.get $px)))
                (local.set $a30 (f64x2.add (local.get $a30) (f64x2.mul (local.get $x3) (local.get $y0))))
                (local.set $a31 (f64x2.add (local.get $a31) (f64x2.mul (local.get $x3) (local.get $y1))))
                (local.set $px (i32.add (local.get $px) (i32.const 64)))
                (local.set $py (i32.add (local.get $py) (i32.const 32)))
                (br $k)))
            ;; C[i + r][j + s] -= lane 0 + lane 1 of a_rs
            (local.set $row (i32.add (local.get $c)
              (i32.add (i32.mul (local.get $i) (local.get $ldc)) (i32.shl (local.get $j) (i32.const 3)))))
            (call $store2 (local.get $row) (local.get $a00) (local.get $a01))
            (local.set $row (i32.add (local.get $row) (local.get $ldc)))
            (call $store2 (local.get $row) (local.get $a10) (local.get $a11))
            (local.set $row (i32.add (local.get $row) (local.get $ldc)))
            (call $store2 (local.get $row) (local.get $a20) (local.get $a21))
            (local.set $row (i32.add (local.get $row) (local.get $ldc)))
            (call $store2 (local.get $row) (local.get $a30) (local.get $a31))
            ;; the k loop left $py at the start of the next panel of y
            (local.set $yPanel (local.get $py))
            (local.set $j (i32.add (local.get $j) (i32.const 2)))
            (br $cols)))
        (local.set $x (i32.add (local.get $x) (local.get $xPanelBytes)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $rows))))

  ;; p[0] -= sum of the lanes of a; p[1] -= sum of the lanes of b
  (func $store2 (param $p i32) (param $a v128) (param $b v128)
    (v128.store (local.get $p)
      (f64x2.sub (v128.load (local.get $p))
        (f64x2.add
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $a) (local.get $b))
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $a) (local.get $b))))))
  ;; The same product in float32: X and Y packed by quads of columns instead of pairs
  ;; (x0[k..k+3] x1[k..k+3] x2[k..k+3] x3[k..k+3], then k+4 ...; Y likewise in panels of 2
  ;; rows), each accumulator an f32x4 summed over its four lanes when the tile is stored.
  ;; kk must be a multiple of 4. Twice the multiply-adds of gemmNtSub per instruction.
  (func (export "gemmNtSubF32")
    (param $c i32) (param $ldc i32) (param $x i32) (param $y i32)
    (param $m i32) (param $n i32) (param $kk i32)
    (local $i i32) (local $j i32) (local $px i32) (local $py i32) (local $yPanel i32)
    (local $end i32) (local $xPanelBytes i32) (local $row i32)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128)
    (local $y0 v128) (local $y1 v128)
    (local $a00 v128) (local $a01 v128) (local $a10 v128) (local $a11 v128)
    (local $a20 v128) (local $a21 v128) (local $a30 v128) (local $a31 v128)
    ;; a panel of 4 rows of x holds 4 * kk float32 values
    (local.set $xPanelBytes (i32.shl (local.get $kk) (i32.const 4)))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $j (i32.const 0))
        (local.set $yPanel (local.get $y))
        (block $cols_done
          (loop $cols
            (br_if $cols_done (i32.ge_u (local.get $j) (local.get $n)))
            (local.set $a00 (v128.const i64x2 0 0)) (local.set $a01 (v128.const i64x2 0 0))
            (local.set $a10 (v128.const i64x2 0 0)) (local.set $a11 (v128.const i64x2 0 0))
            (local.set $a20 (v128.const i64x2 0 0)) (local.set $a21 (v128.const i64x2 0 0))
            (local.set $a30 (v128.const i64x2 0 0)) (local.set $a31 (v128.const i64x2 0 0))
            (local.set $px (local.get $x))
            (local.set $py (local.get $yPanel))
            (local.set $end (i32.add (local.get $x) (local.get $xPanelBytes)))
            (block $k_done
              (loop $k
                (br_if $k_done (i32.ge_u (local.get $px) (local.get $end)))
                (local.set $y0 (v128.load offset=0 (local.get $py)))
                (local.set $y1 (v128.load offset=16 (local.get $py)))
                (local.set $x0 (v128.load offset=0 (local.get $px)))
                (local.set $a00 (f32x4.add (local.get $a00) (f32x4.mul (local.get $x0) (local.get $y0))))
                (local.set $a01 (f32x4.add (local.get $a01) (f32x4.mul (local.get $x0) (local.get $y1))))
                (local.set $x1 (v128.load offset=16 (local.get $px)))
                (local.set $a10 (f32x4.add (local.get $a10) (f32x4.mul (local.get $x1) (local.get $y0))))
                (local.set $a11 (f32x4.add (local.get $a11) (f32x4.mul (local.get $x1) (local.get $y1))))
                (local.set $x2 (v128.load offset=32 (local.get $px)))
                (local.set $a20 (f32x4.add (local.get $a20) (f32x4.mul (local.get $x2) (local.get $y0))))
                (local.set $a21 (f32x4.add (local.get $a21) (f32x4.mul (local.get $x2) (local.get $y1))))
                (local.set $x3 (v128.load offset=48 (local.get $px)))
                (local.set $a30 (f32x4.add (local.get $a30) (f32x4.mul (local.get $x3) (local.get $y0))))
                (local.set $a31 (f32x4.add (local.get $a31) (f32x4.mul (local.get $x3) (local.get $y1))))
                (local.set $px (i32.add (local.get $px) (i32.const 64)))
                (local.set $py (i32.add (local.get $py) (i32.const 32)))
                (br $k)))
            (local.set $row (i32.add (local.get $c)
              (i32.add (i32.mul (local.get $i) (local.get $ldc)) (i32.shl (local.get $j) (i32.const 2)))))
            (call $store2f32 (local.get $row) (local.get $a00) (local.get $a01))
            (local.set $row (i32.add (local.get $row) (local.get $ldc)))
            (call $store2f32 (local.get $row) (local.get $a10) (local.get $a11))
            (local.set $row (i32.add (local.get $row) (local.get $ldc)))
            (call $store2f32 (local.get $row) (local.get $a20) (local.get $a21))
            (local.set $row (i32.add (local.get $row) (local.get $ldc)))
            (call $store2f32 (local.get $row) (local.get $a30) (local.get $a31))
            (local.set $yPanel (local.get $py))
            (local.set $j (i32.add (local.get $j) (i32.const 2)))
            (br $cols)))
        (local.set $x (i32.add (local.get $x) (local.get $xPanelBytes)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $rows))))

  ;; p[0] -= sum of the lanes of a; p[1] -= sum of the lanes of b (float32)
  (func $store2f32 (param $p i32) (param $a v128) (param $b v128)
    (local $s v128)
    ;; [a0+a2, a1+a3, b0+b2, b1+b3], then lanes 0+1 and 2+3
    (local.set $s (f32x4.add
      (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $a) (local.get $b))
      (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $a) (local.get $b))))
    (f32.store (local.get $p) (f32.sub (f32.load (local.get $p))
      (f32.add (f32x4.extract_lane 0 (local.get $s)) (f32x4.extract_lane 1 (local.get $s)))))
    (f32.store offset=4 (local.get $p) (f32.sub (f32.load offset=4 (local.get $p))
      (f32.add (f32x4.extract_lane 2 (local.get $s)) (f32x4.extract_lane 3 (local.get $s))))))
)
