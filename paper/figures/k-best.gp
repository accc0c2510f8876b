# Written by duet plot; rerun with: gnuplot k-best.gp (from this folder)
set terminal pngcairo size 700,400 noenhanced font 'sans,10'
set output "k-best.png"
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
set multiplot layout 1,1
set title 'jargon'
set ylabel 'best bits per character (lower is better)'
set xlabel 'iteration'
set xrange [0.5:10.5]
plot 'k-best.dat' index 0 using 1:4:5 with filledcurves lc 1 notitle, \
     '' index 0 using 1:2 with linespoints lc 1 pt 7 ps 0.5 lw 2 title 'duet_k1', \
     'k-best.dat' index 1 using 1:4:5 with filledcurves lc 2 notitle, \
     '' index 1 using 1:2 with linespoints lc 2 pt 7 ps 0.5 lw 2 title 'duet_k2', \
     'k-best.dat' index 2 using 1:4:5 with filledcurves lc 3 notitle, \
     '' index 2 using 1:2 with linespoints lc 3 pt 7 ps 0.5 lw 2 title 'duet_k4', \
     'k-best.dat' index 3 using 1:4:5 with filledcurves lc 4 notitle, \
     '' index 3 using 1:2 with linespoints lc 4 pt 7 ps 0.5 lw 2 title 'duet_k8'
unset multiplot
