#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# make bench: PNG plots of one results directory (bench/results/<run>) with gnuplot; no root.
#   bench/plot.sh bench/results/<run>
set -eu
R=$1
cd "$R"
if [ -s scale-lo-opens.csv ]; then
	gnuplot <<'GP'
set terminal pngcairo size 900,520 noenhanced
set output 'scale-latency.png'
set datafile separator ','
set title 'pam_open_session latency of the next box against boxes already live'
set xlabel 'live boxes'
set ylabel 'open latency, ms'
set logscale y
set key top left
set grid
plot 'scale-lo-opens.csv' every ::1 using 1:2 with points pt 7 ps 0.3 lc rgb '#4070c0' title 'box (loopback, 5 ns): each holder''s open', \
     'scale-permit-opens.csv' every ::1 using 1:2 with points pt 7 ps 0.3 lc rgb '#a0a0a0' title 'pam_permit only', \
     'scale-lo.csv' every ::1 using 2:3 with linespoints lw 2 pt 5 lc rgb '#c03030' title 'box: median of 11 probe opens at N live'
GP
fi
if [ -s storm.csv ]; then
	gnuplot <<'GP'
set terminal pngcairo size 900,520 noenhanced
set output 'storm.png'
set datafile separator ','
set title 'login storm: 8 workers, open/close cycles of loopback boxes'
set xlabel 'time, s'
set ylabel 'boxes per second'
set y2label 'count'
set ytics nomirror
set y2tics
set key top right
set grid
plot 'storm.csv' every ::1 using 1:2 with linespoints lw 2 pt 7 lc rgb '#4070c0' title 'boxes/s', \
     'storm.csv' every ::1 using 1:5 axes x1y2 with lines lw 2 lc rgb '#c03030' title 'struct net in the kernel (net_namespace slab, minus start)', \
     'storm.csv' every ::1 using 1:7 axes x1y2 with lines lw 1 dt 2 lc rgb '#208020' title 'live nsbox-helper processes', \
     'storm.csv' every ::1 using 1:4 with lines lw 1 lc rgb '#808080' title 'p99 cycle latency, ms (left axis)'
GP
fi
