# Written by duet plot; rerun with: gnuplot kerror.gp (from this folder)
set terminal pngcairo size 560,400 noenhanced font 'sans,10'
set output "kerror.png"
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
set key top right box opaque font ',8'
set logscale x 2
set xlabel 'inner samples k'
set ylabel 'estimator error'
set multiplot layout 1,1
set title 'interior'
set xrange [0.714286:11.2]
plot 'kerror.dat' index 0 using 1:2:3 with yerrorlines lc 1 pt 7 lw 2 title 'uniform', 'kerror.dat' index 1 using 1:2:3 with yerrorlines lc 2 pt 7 lw 2 title 'random_search', 'kerror.dat' index 2 using 1:2:3 with yerrorlines lc 3 pt 7 lw 2 title 'duet_ur, k = 1..8', 'kerror.dat' index 3 using 1:2:3 with yerrorlines lc 4 pt 7 lw 2 title 'duet, k = 1..8'
unset multiplot
