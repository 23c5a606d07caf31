// Writes transcript-vectors.json: ciphertexts of the transcript formats made by
// Node's `crypto` and by `crypto-js`, for the Rust implementation to reproduce.
// Run: npm install && node generate.js
'use strict';
const crypto = require('crypto');
const CryptoJS = require('crypto-js');
const fs = require('fs');
const path = require('path');

const secrets = ['a-secret-shared-with-the-web-client', 'p@ss wörd ✓'];
const texts = [
  'Hello.',
  '',
  'ünïcödé text ✓ with emoji 🎉 and 中文',
  'We agreed to build a test script for evaluating chunking methods. '.repeat(20),
];
const digests = { sha512: 'sha512', sha256: 'sha256', sha1: 'sha1' };
const jsHashers = { sha512: CryptoJS.algo.SHA512, sha256: CryptoJS.algo.SHA256, sha1: CryptoJS.algo.SHA1 };

// Deterministic salts and ivs, so reruns produce the same file.
function bytes(seed, n) {
  const sha512 = (s) => crypto.createHash('sha512').update(s).digest();
  return Buffer.concat([sha512(seed), sha512(seed + '+')]).subarray(0, n);
}

const vectors = [];
let n = 0;
for (const secret of secrets) {
  for (const text of texts) {
    for (const digest of Object.keys(digests)) {
      n += 1;
      const salt = bytes(`salt-${n}`, 64);
      const iv = bytes(`iv-${n}`, 16);
      // Node's crypto, as the reference backend does it.
      const key = crypto.pbkdf2Sync(secret, salt, 10000, 32, digests[digest]);
      const c = crypto.createCipheriv('aes-256-cbc', key, iv);
      const node = Buffer.concat([salt, iv, c.update(text, 'utf8'), c.final()]).toString('base64');
      vectors.push({ source: 'node-crypto', format: 'cbc', digest, secret, plaintext: text, salt: salt.toString('hex'), iv: iv.toString('hex'), ciphertext: node });

      // crypto-js, as the web client does it (salt as bytes, hasher set explicitly).
      const jsSalt = CryptoJS.enc.Hex.parse(salt.toString('hex'));
      const jsIv = CryptoJS.enc.Hex.parse(iv.toString('hex'));
      const jsKey = CryptoJS.PBKDF2(secret, jsSalt, { keySize: 256 / 32, iterations: 10000, hasher: jsHashers[digest] });
      const enc = CryptoJS.AES.encrypt(text, jsKey, { iv: jsIv, mode: CryptoJS.mode.CBC, padding: CryptoJS.pad.Pkcs7 });
      const js = jsSalt.clone().concat(jsIv).concat(enc.ciphertext).toString(CryptoJS.enc.Base64);
      vectors.push({ source: 'crypto-js', format: 'cbc', digest, secret, plaintext: text, salt: salt.toString('hex'), iv: iv.toString('hex'), ciphertext: js });
    }
    // Legacy AES-256-GCM, decrypt only.
    n += 1;
    const salt = bytes(`salt-${n}`, 64);
    const iv = bytes(`iv-${n}`, 16);
    const key = crypto.pbkdf2Sync(secret, salt, 2145, 32, 'sha512');
    const g = crypto.createCipheriv('aes-256-gcm', key, iv);
    const body = Buffer.concat([g.update(text, 'utf8'), g.final()]);
    const tag = g.getAuthTag();
    const legacy = Buffer.concat([salt, iv, tag, body]).toString('base64');
    vectors.push({ source: 'node-crypto', format: 'gcm', digest: 'sha512', secret, plaintext: text, salt: salt.toString('hex'), iv: iv.toString('hex'), ciphertext: legacy });
  }
}

const out = path.join(__dirname, 'transcript-vectors.json');
fs.writeFileSync(out, JSON.stringify({ generatedBy: 'tests/vectors/generate.js', nodeVersion: process.version, cryptoJs: '4.2.0', vectors }, null, 2) + '\n');
console.log(`wrote ${vectors.length} vectors to ${out}`);
