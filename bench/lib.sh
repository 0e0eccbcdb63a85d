# Sourced by the bench scripts from the project root: the Fashion-MNIST
# package when missing, a release build, and $sslth.
if [ ! -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ]; then
  apt-get install -y -q dataset-fashion-mnist >/dev/null
fi
cargo build -q --release -p sslth-cli
sslth=target/release/sslth
