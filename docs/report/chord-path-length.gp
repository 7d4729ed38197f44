set terminal svg size 720,420 dynamic font 'sans,11' background '#ffffff'
set output "chord-path-length.svg"
set title "Chord lookup path length against N"
set xlabel "nodes (N)"
set ylabel "mean path length"
set grid ytics lc rgb '#dddddd'
set key outside right top
set border 3
set tics nomirror
set logscale x 2
$s0 << EOD
16 2
32 2.5
64 3
128 3.5
256 4
512 4.5
1024 5
2048 5.5
4096 6
8192 6.5
EOD
$s1 << EOD
16 2.1478
32 2.7058
64 3.2536
128 3.7756
256 4.2618
512 4.8166
1024 5.2986
2048 5.8312
4096 6.2894
8192 6.7606
EOD
$s2 << EOD
16 2.1332
32 2.6872
64 3.237
128 3.763
256 4.2708
512 4.7666
1024 5.2998
2048 5.7894
4096 6.2602
8192 6.7768
EOD
plot $s0 using 1:2 with linespoints dt 2 pt -1 lw 2 title "½·log2 N (the paper)", $s1 using 1:2 with linespoints pt 7 ps 0.6 lw 2 title "iterative", $s2 using 1:2 with linespoints pt 7 ps 0.6 lw 2 title "recursive"
