# Written by duet plot; rerun with: gnuplot k.gp (from this folder)
set terminal pngcairo size 1200,420 noenhanced font 'sans,10'
set output "k.png"
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
set style fill solid 0.6 border -1
set boxwidth 0.7
unset key
set xtics rotate by -35 font ',8'
set bars 2
set multiplot layout 1,2
set title 'jargon'
set ylabel 'final best bits per character (lower is better)'
set xrange [-0.6:3.6]
unset xlabel
plot 'k.dat' index 0 using 1:3:xtic(2) with boxes lc 2, '' index 0 using 1:3:4 with yerrorbars lc -1 pt 0
set title 'jargon: paired difference to duet_k1 over common trials'
set ylabel 'difference (positive = better)'
plot 'k.dat' index 0 using 1:6:xtic(2) with boxes lc 3, '' index 0 using 1:6:7 with yerrorbars lc -1 pt 0, 0 lc -1 notitle
unset multiplot
