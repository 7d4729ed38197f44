set terminal svg size 720,420 dynamic font 'sans,11' background '#ffffff'
set output "kv-throughput.svg"
set title "Throughput"
set xlabel "clients"
set ylabel "puts/s"
set grid ytics lc rgb '#dddddd'
set key outside right top
set border 3
set tics nomirror
set logscale x 2
set logscale y 10
$s0 << EOD
1 441.4
16 2562.8
256 8777
EOD
$s1 << EOD
1 731.6
16 3061.6
256 7472
EOD
$s2 << EOD
1 292.8
16 1758.8
256 5072.8
EOD
plot $s0 using 1:2 with linespoints pt 7 ps 0.6 lw 2 title "coronet-async", $s1 using 1:2 with linespoints pt 7 ps 0.6 lw 2 title "coronet-sync", $s2 using 1:2 with linespoints pt 7 ps 0.6 lw 2 title "etcd"
