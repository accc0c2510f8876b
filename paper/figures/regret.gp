# Written by duet plot; rerun with: gnuplot regret.gp (from this folder)
set terminal pngcairo size 1800,380 noenhanced font 'sans,10'
set output "regret.png"
set datafile missing 'nan'
set grid lc rgb '#dddddd'
set linetype 1 lc rgb '#4e79a7' lw 2 pt 7
set linetype 2 lc rgb '#f28e2b' lw 2 pt 7
set linetype 3 lc rgb '#e15759' lw 2 pt 7
set linetype 4 lc rgb '#76b7b2' lw 2 pt 7
set linetype 5 lc rgb '#59a14f' lw 2 pt 7
set linetype 6 lc rgb '#edc948' lw 2 pt 7
set linetype 7 lc rgb '#b07aa1' lw 2 pt 7
set linetype 8 lc rgb '#ff9da7' lw 2 pt 7
set linetype 9 lc rgb '#9c755f' lw 2 pt 7
set linetype 10 lc rgb '#bab0ac' lw 2 pt 7
set linetype 11 lc rgb '#1f1f1f' lw 2 pt 7
set linetype 12 lc rgb '#8cd17d' lw 2 pt 7
set linetype cycle 12
set key outside right top font ',8'
set style fill transparent solid 0.2 noborder
set xlabel 'iteration'
set multiplot layout 1,3
set title 'interior: simple regret'
set ylabel 'simple regret'
set logscale y
set xrange [0.5:30.5]
plot 'regret.dat' index 0 using 1:4:5 with filledcurves lc 1 notitle, \
     '' index 0 using 1:2 with linespoints lc 1 pt 7 ps 0.5 lw 2 title 'uniform', \
     'regret.dat' index 1 using 1:4:5 with filledcurves lc 2 notitle, \
     '' index 1 using 1:2 with linespoints lc 2 pt 7 ps 0.5 lw 2 title 'random_search', \
     'regret.dat' index 2 using 1:4:5 with filledcurves lc 3 notitle, \
     '' index 2 using 1:2 with linespoints lc 3 pt 7 ps 0.5 lw 2 title 'duet_ur_k1', \
     'regret.dat' index 3 using 1:4:5 with filledcurves lc 4 notitle, \
     '' index 3 using 1:2 with linespoints lc 4 pt 7 ps 0.5 lw 2 title 'duet_ur_k2', \
     'regret.dat' index 4 using 1:4:5 with filledcurves lc 5 notitle, \
     '' index 4 using 1:2 with linespoints lc 5 pt 7 ps 0.5 lw 2 title 'duet_ur_k4', \
     'regret.dat' index 5 using 1:4:5 with filledcurves lc 6 notitle, \
     '' index 5 using 1:2 with linespoints lc 6 pt 7 ps 0.5 lw 2 title 'duet_ur_k8', \
     'regret.dat' index 6 using 1:4:5 with filledcurves lc 7 notitle, \
     '' index 6 using 1:2 with linespoints lc 7 pt 7 ps 0.5 lw 2 title 'duet_k1', \
     'regret.dat' index 7 using 1:4:5 with filledcurves lc 8 notitle, \
     '' index 7 using 1:2 with linespoints lc 8 pt 7 ps 0.5 lw 2 title 'duet_k2', \
     'regret.dat' index 8 using 1:4:5 with filledcurves lc 9 notitle, \
     '' index 8 using 1:2 with linespoints lc 9 pt 7 ps 0.5 lw 2 title 'duet_k4', \
     'regret.dat' index 9 using 1:4:5 with filledcurves lc 10 notitle, \
     '' index 9 using 1:2 with linespoints lc 10 pt 7 ps 0.5 lw 2 title 'duet_k8'
set title 'interior: cumulative regret'
set ylabel 'cumulative regret'
set logscale y
set xrange [0.5:30.5]
plot 'regret.dat' index 10 using 1:4:5 with filledcurves lc 1 notitle, \
     '' index 10 using 1:2 with linespoints lc 1 pt 7 ps 0.5 lw 2 title 'uniform', \
     'regret.dat' index 11 using 1:4:5 with filledcurves lc 2 notitle, \
     '' index 11 using 1:2 with linespoints lc 2 pt 7 ps 0.5 lw 2 title 'random_search', \
     'regret.dat' index 12 using 1:4:5 with filledcurves lc 3 notitle, \
     '' index 12 using 1:2 with linespoints lc 3 pt 7 ps 0.5 lw 2 title 'duet_ur_k1', \
     'regret.dat' index 13 using 1:4:5 with filledcurves lc 4 notitle, \
     '' index 13 using 1:2 with linespoints lc 4 pt 7 ps 0.5 lw 2 title 'duet_ur_k2', \
     'regret.dat' index 14 using 1:4:5 with filledcurves lc 5 notitle, \
     '' index 14 using 1:2 with linespoints lc 5 pt 7 ps 0.5 lw 2 title 'duet_ur_k4', \
     'regret.dat' index 15 using 1:4:5 with filledcurves lc 6 notitle, \
     '' index 15 using 1:2 with linespoints lc 6 pt 7 ps 0.5 lw 2 title 'duet_ur_k8', \
     'regret.dat' index 16 using 1:4:5 with filledcurves lc 7 notitle, \
     '' index 16 using 1:2 with linespoints lc 7 pt 7 ps 0.5 lw 2 title 'duet_k1', \
     'regret.dat' index 17 using 1:4:5 with filledcurves lc 8 notitle, \
     '' index 17 using 1:2 with linespoints lc 8 pt 7 ps 0.5 lw 2 title 'duet_k2', \
     'regret.dat' index 18 using 1:4:5 with filledcurves lc 9 notitle, \
     '' index 18 using 1:2 with linespoints lc 9 pt 7 ps 0.5 lw 2 title 'duet_k4', \
     'regret.dat' index 19 using 1:4:5 with filledcurves lc 10 notitle, \
     '' index 19 using 1:2 with linespoints lc 10 pt 7 ps 0.5 lw 2 title 'duet_k8'
set title 'interior: average regret'
set ylabel 'average regret'
set logscale y
set xrange [0.5:30.5]
plot 'regret.dat' index 20 using 1:4:5 with filledcurves lc 1 notitle, \
     '' index 20 using 1:2 with linespoints lc 1 pt 7 ps 0.5 lw 2 title 'uniform', \
     'regret.dat' index 21 using 1:4:5 with filledcurves lc 2 notitle, \
     '' index 21 using 1:2 with linespoints lc 2 pt 7 ps 0.5 lw 2 title 'random_search', \
     'regret.dat' index 22 using 1:4:5 with filledcurves lc 3 notitle, \
     '' index 22 using 1:2 with linespoints lc 3 pt 7 ps 0.5 lw 2 title 'duet_ur_k1', \
     'regret.dat' index 23 using 1:4:5 with filledcurves lc 4 notitle, \
     '' index 23 using 1:2 with linespoints lc 4 pt 7 ps 0.5 lw 2 title 'duet_ur_k2', \
     'regret.dat' index 24 using 1:4:5 with filledcurves lc 5 notitle, \
     '' index 24 using 1:2 with linespoints lc 5 pt 7 ps 0.5 lw 2 title 'duet_ur_k4', \
     'regret.dat' index 25 using 1:4:5 with filledcurves lc 6 notitle, \
     '' index 25 using 1:2 with linespoints lc 6 pt 7 ps 0.5 lw 2 title 'duet_ur_k8', \
     'regret.dat' index 26 using 1:4:5 with filledcurves lc 7 notitle, \
     '' index 26 using 1:2 with linespoints lc 7 pt 7 ps 0.5 lw 2 title 'duet_k1', \
     'regret.dat' index 27 using 1:4:5 with filledcurves lc 8 notitle, \
     '' index 27 using 1:2 with linespoints lc 8 pt 7 ps 0.5 lw 2 title 'duet_k2', \
     'regret.dat' index 28 using 1:4:5 with filledcurves lc 9 notitle, \
     '' index 28 using 1:2 with linespoints lc 9 pt 7 ps 0.5 lw 2 title 'duet_k4', \
     'regret.dat' index 29 using 1:4:5 with filledcurves lc 10 notitle, \
     '' index 29 using 1:2 with linespoints lc 10 pt 7 ps 0.5 lw 2 title 'duet_k8'
unset multiplot
