set terminal svg size 720,420 dynamic font 'sans,11' background '#ffffff'
set output "transports-latency.svg"
set title "Latency per transport (pingpong)"
set xlabel ""
set ylabel "µs (log scale)"
set grid ytics lc rgb '#dddddd'
set key outside right top
set border 3
set tics nomirror
set logscale y 10
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set xtics rotate by -30
$data << EOD
"epoll-raw" 86.015 147.455
"uring-raw" 74.751 3801.087
"tcp" 77.823 130.047
"tcp+deadline" 76.799 139.263
"tcp+asio||timer" 75.775 133.119
"uring" 79.871 133.119
"uring+deadline" 67.583 155.647
EOD
plot $data using 2:xtic(1) title "p50", $data using 3:xtic(1) title "p99"
