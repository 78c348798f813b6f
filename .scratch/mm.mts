import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
await tf.setBackend('wasm'); await tf.ready();
const An = 100000, Bn = 10, D = 8;
const x = tf.randomNormal([An, D]); const mu = tf.randomNormal([Bn, 1, D]);
const Linv = tf.randomNormal([Bn, D, D]);
const LinvT = tf.transpose(Linv, [0, 2, 1]);
const W = tf.reshape(tf.transpose(Linv, [2, 0, 1]), [D, Bn * D]); // W[d, (b,e)] = Linv[b,e,d]
const time = (name: string, f: () => tf.Tensor) => {
  for (let w = 0; w < 2; w++) tf.tidy(() => { f().dataSync(); });
  const t0 = performance.now(); const R = 5;
  for (let r = 0; r < R; r++) tf.tidy(() => { f().dataSync(); });
  console.log(name, ((performance.now() - t0) / R).toFixed(1), 'ms');
};
time('sub only', () => tf.sub(x, mu));
time('a: sub+bmm(tB)+sqsum', () => tf.sum(tf.square(tf.matMul(tf.sub(x, mu), Linv, false, true)), -1));
time('c: sub+bmm+sqsum', () => tf.sum(tf.square(tf.matMul(tf.sub(x, mu), LinvT)), -1));
time('c2: bmm only', () => tf.matMul(tf.sub(x, mu), LinvT));
time('b: 2D mm', () => { const y = tf.matMul(x, W); return tf.sum(tf.square(tf.reshape(tf.sub(y, tf.reshape(mu, [1, Bn*D])), [An, Bn, D])), -1); });
time('b2: 2D mm only', () => tf.matMul(x, W));
time('d: diff [An,Bn,D] then einsum-like mul+sum', () => { const diff = tf.sub(tf.reshape(x,[An,1,D]), tf.reshape(mu,[1,Bn,D])); return diff; });
time('transpose 1M', () => tf.transpose(tf.randomNormal([An, Bn])));
time('logicalAnd bcast', () => tf.logicalAnd(tf.ones([1, An], 'bool'), tf.ones([Bn, 1], 'bool')));
