set terminal svg size 720,420 dynamic font 'sans,11' background '#ffffff'
set output "transports-throughput.svg"
set title "Throughput per workload"
set xlabel ""
set ylabel "ops/s"
set grid ytics lc rgb '#dddddd'
set key outside right top
set border 3
set tics nomirror
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set xtics rotate by -30
set yrange [0:*]
$data << EOD
"pingpong" 11379.089704535309 4569.918720072457 12436.471579882484 12325.242439618734 12818.06785065324 12235.533640355305 13221.62535398166
"pingpong-busy" 120515.78413382614 126818.5774788264 108760.1644695376 112914.92859856608 109379.69069854132 102267.8403884223 100919.75465286314
"64x1" 243322.11828499363 228162.9428858364 200944.03016709545 212909.79138983795 128948.56450729746 223375.5384142825 219436.87862611545
"64x16" 3510098.1826288784 3201389.626330687 3242023.431280431 3388690.532906269 2359259.338959051 3247662.699267705 2733178.461529694
"64x16KiB" 113423.55888483764 57623.741978406026 76127.36882895126 76252.43840908304 46832.830585102485 45017.21200147115 44176.69794003667
EOD
plot $data using 2:xtic(1) title "epoll-raw", $data using 3:xtic(1) title "uring-raw", $data using 4:xtic(1) title "tcp", $data using 5:xtic(1) title "tcp+deadline", $data using 6:xtic(1) title "tcp+asio||timer", $data using 7:xtic(1) title "uring", $data using 8:xtic(1) title "uring+deadline"
