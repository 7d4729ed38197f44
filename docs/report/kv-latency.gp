set terminal svg size 720,420 dynamic font 'sans,11' background '#ffffff'
set output "kv-latency.svg"
set title "Raft commit latency, sync vs async replication (p50)"
set xlabel "clients"
set ylabel "ms"
set grid ytics lc rgb '#dddddd'
set key outside right top
set border 3
set tics nomirror
set logscale x 2
set logscale y 10
$s0 << EOD
1 1.8841590000000001
16 5.898238999999999
256 24.117247
EOD
$s1 << EOD
1 1.212415
16 4.849663
256 30.146559
EOD
$s2 << EOD
1 2.981887
16 8.126463
256 49.28307100000001
EOD
plot $s0 using 1:2 with linespoints pt 7 ps 0.6 lw 2 title "coronet-async", $s1 using 1:2 with linespoints pt 7 ps 0.6 lw 2 title "coronet-sync", $s2 using 1:2 with linespoints pt 7 ps 0.6 lw 2 title "etcd"
