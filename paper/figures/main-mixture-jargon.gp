# Written by duet plot; rerun with: gnuplot main-mixture-jargon.gp (from this folder)
set terminal pngcairo size 1680,1140 noenhanced font 'sans,10'
set output "main-mixture-jargon.png"
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
set style data histograms
set style histogram rowstacked
set style fill solid 0.85 border -1
set boxwidth 0.8
set yrange [0:1]
set key outside right font ',8'
set xlabel 'iteration'
set ylabel 'share of the budget'
set multiplot layout 3,3
set title 'jargon: duet'
plot for [i=2:9] 'main-mixture-jargon.dat' index 0 using i:xtic(1) title columnheader(i)
set title 'jargon: uniform'
plot for [i=2:9] 'main-mixture-jargon.dat' index 1 using i:xtic(1) title columnheader(i)
set title 'jargon: random_search'
plot for [i=2:9] 'main-mixture-jargon.dat' index 2 using i:xtic(1) title columnheader(i)
set title 'jargon: doremi'
plot for [i=2:9] 'main-mixture-jargon.dat' index 3 using i:xtic(1) title columnheader(i)
set title 'jargon: online_mixing'
plot for [i=2:9] 'main-mixture-jargon.dat' index 4 using i:xtic(1) title columnheader(i)
set title 'jargon: aioli'
plot for [i=2:9] 'main-mixture-jargon.dat' index 5 using i:xtic(1) title columnheader(i)
set title 'jargon: regmix'
plot for [i=2:9] 'main-mixture-jargon.dat' index 6 using i:xtic(1) title columnheader(i)
set title 'jargon: select_less'
plot for [i=2:9] 'main-mixture-jargon.dat' index 7 using i:xtic(1) title columnheader(i)
set title 'jargon: select_influence'
plot for [i=2:9] 'main-mixture-jargon.dat' index 8 using i:xtic(1) title columnheader(i)
unset multiplot
