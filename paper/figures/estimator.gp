# Written by duet plot; rerun with: gnuplot estimator.gp (from this folder)
set terminal pngcairo size 600,420 noenhanced font 'sans,10'
set output "estimator.png"
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
set key top left box opaque font ',8'
set ylabel 'samples'
set style fill transparent solid 0.35 border
set multiplot layout 1,1
set title 'jargon_two_domains'
set xlabel 'sample bits per character (lower is better)'
unset arrow
set arrow 1 from 3.3288190539691414, graph 0 to 3.3288190539691414, graph 1 nohead lc 1 dt 2 lw 2
set arrow 2 from 3.3327290379579098, graph 0 to 3.3327290379579098, graph 1 nohead lc 2 dt 2 lw 2
set boxwidth 0.001967486236163656 absolute
plot 'estimator.dat' index 0 using 1:2 with boxes lc 1 title 'uniform_selection', 'estimator.dat' index 1 using 1:2 with boxes lc 2 title 'influence_selection'
unset multiplot
