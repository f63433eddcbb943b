// ---- webgpu/000-slice-295026fd.wgsl
@group(0) @binding(0) var<storage, read> w0: array<u32>;
@group(0) @binding(1) var<storage, read_write> arena: array<u32>;
struct Params { v: array<vec4<u32>, 1> }
@group(0) @binding(2) var<uniform> params: Params;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let e = gid * 64u + lid;
  if (e >= params.v[0].y) { return; }
  var c_r = e;
  let c1 = c_r % params.v[0].y; c_r = c_r / params.v[0].y;
  let c0 = c_r;
  let si = c0 * 160u + c1;
  let d = e;
  arena[(params.v[0].x >> 2u) + 2u * d + 0u] = w0[(0u >> 2u) + 2u * (si) + 0u];
  arena[(params.v[0].x >> 2u) + 2u * d + 1u] = w0[(0u >> 2u) + 2u * (si) + 1u];
}

// ---- webgpu/001-slice-2cd888b9.wgsl
@group(0) @binding(0) var<storage, read> w0: array<u32>;
@group(0) @binding(1) var<storage, read_write> arena: array<u32>;
struct Params { v: array<vec4<u32>, 1> }
@group(0) @binding(2) var<uniform> params: Params;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let e = gid * 64u + lid;
  if (e >= params.v[0].y) { return; }
  var c_r = e;
  let c1 = c_r % params.v[0].y; c_r = c_r / params.v[0].y;
  let c0 = c_r;
  let si = c0 * 160u + c1;
  let d = e;
  arena[(params.v[0].x >> 2u) + 2u * d + 0u] = w0[(1280u >> 2u) + 2u * (si) + 0u];
  arena[(params.v[0].x >> 2u) + 2u * d + 1u] = w0[(1280u >> 2u) + 2u * (si) + 1u];
}

// ---- webgpu/002-expand-b8b05192.wgsl
@group(0) @binding(0) var<storage, read_write> arena: array<u32>;
struct Params { v: array<vec4<u32>, 1> }
@group(0) @binding(1) var<uniform> params: Params;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let e0 = gid * 64u + lid;
  if (e0 >= params.v[0].z) { return; }
  {
  let e = e0;
  var c_r = e;
  let c1 = c_r % params.v[0].w; c_r = c_r / params.v[0].w;
  let c0 = c_r;
  let v = bitcast<i32>(arena[(params.v[0].y >> 2u) + 2u * (c1)]);
  { let xw = (params.v[0].x >> 2u) + 2u * (e); let xv = bitcast<u32>(v); arena[xw] = xv; arena[xw + 1u] = select(0u, 0xffffffffu, (xv >> 31u) == 1u); }
  }
}

// ---- webgpu/003-gather-7fde5dae.wgsl
@group(0) @binding(0) var<storage, read> w0: array<u32>;
@group(0) @binding(1) var<storage, read_write> arena: array<u32>;
struct Params { v: array<vec4<u32>, 1> }
@group(0) @binding(2) var<uniform> params: Params;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let e = gid * 64u + lid;
  if (e >= params.v[0].y) { return; }
  var c_r = e;
  let c2 = c_r % 32u; c_r = c_r / 32u;
  let c1 = c_r % params.v[0].w; c_r = c_r / params.v[0].w;
  let c0 = c_r;
  let gi = bitcast<i32>(arena[(params.v[0].z >> 2u) + 2u * (c0 * params.v[0].w + c1 * 1u)]);
  let g = select(u32(gi), u32(gi + i32(100u)), gi < 0i);
  let si = g * 32u + c2 * 1u;
  let d = e;
  arena[(params.v[0].x >> 2u) + 1u * d + 0u] = w0[(2560u >> 2u) + 1u * (si) + 0u];
}

// ---- webgpu/004-gather-9f3dde3f.wgsl
@group(0) @binding(0) var<storage, read> w0: array<u32>;
@group(0) @binding(1) var<storage, read_write> arena: array<u32>;
struct Params { v: array<vec4<u32>, 1> }
@group(0) @binding(2) var<uniform> params: Params;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let e = gid * 64u + lid;
  if (e >= params.v[0].y) { return; }
  var c_r = e;
  let c2 = c_r % 32u; c_r = c_r / 32u;
  let c1 = c_r % params.v[0].w; c_r = c_r / params.v[0].w;
  let c0 = c_r;
  let gi = bitcast<i32>(arena[(params.v[0].z >> 2u) + 2u * (c0 * params.v[0].w + c1 * 1u)]);
  let g = select(u32(gi), u32(gi + i32(2u)), gi < 0i);
  let si = g * 32u + c2 * 1u;
  let d = e;
  arena[(params.v[0].x >> 2u) + 1u * d + 0u] = w0[(15360u >> 2u) + 1u * (si) + 0u];
}

// ---- webgpu/005-add-50375700.wgsl
@group(0) @binding(0) var<storage, read_write> arena: array<u32>;
struct Params { v: array<vec4<u32>, 1> }
@group(0) @binding(1) var<uniform> params: Params;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let e0 = gid * 64u + lid;
  if (e0 >= params.v[0].w) { return; }
  {
  let e = e0;
  let v = (bitcast<f32>(arena[(params.v[0].y >> 2u) + (e)]) + bitcast<f32>(arena[(params.v[0].z >> 2u) + (e)]));
  arena[(params.v[0].x >> 2u) + (e)] = bitcast<u32>(v);
  }
}

// ---- webgpu/006-gather-eacc57c6.wgsl
@group(0) @binding(0) var<storage, read> w0: array<u32>;
@group(0) @binding(1) var<storage, read_write> arena: array<u32>;
struct Params { v: array<vec4<u32>, 1> }
@group(0) @binding(2) var<uniform> params: Params;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let e = gid * 64u + lid;
  if (e >= params.v[0].y) { return; }
  var c_r = e;
  let c2 = c_r % 32u; c_r = c_r / 32u;
  let c1 = c_r % params.v[0].w; c_r = c_r / params.v[0].w;
  let c0 = c_r;
  let gi = bitcast<i32>(arena[(params.v[0].z >> 2u) + 2u * (c0 * params.v[0].w + c1 * 1u)]);
  let g = select(u32(gi), u32(gi + i32(160u)), gi < 0i);
  let si = g * 32u + c2 * 1u;
  let d = e;
  arena[(params.v[0].x >> 2u) + 1u * d + 0u] = w0[(15616u >> 2u) + 1u * (si) + 0u];
}

// ---- webgpu/007-skiplayernormalization-67cea163.wgsl
@group(0) @binding(0) var<storage, read_write> arena: array<u32>;
@group(0) @binding(1) var<storage, read> w0: array<u32>;
struct Params { v: array<vec4<u32>, 1> }
@group(0) @binding(2) var<uniform> params: Params;
var<workgroup> red: array<f32, 64>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let base = gid * 32u;
  var s = 0.0;
  for (var j = lid; j < 32u; j = j + 64u) { let v = (bitcast<f32>(arena[(params.v[0].x >> 2u) + (base + j)]) + bitcast<f32>(arena[(params.v[0].y >> 2u) + ((gid % params.v[0].w) * 32u + j)])); s = s + v;  }
  red[lid] = s;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s = s >> 1u) { if (lid < s) { red[lid] = red[lid] + red[lid + s]; } workgroupBarrier(); }
  let total = red[0];
  workgroupBarrier();
  let mean = total / f32(32u);
  var q = 0.0;
  for (var j = lid; j < 32u; j = j + 64u) { let d = (bitcast<f32>(arena[(params.v[0].x >> 2u) + (base + j)]) + bitcast<f32>(arena[(params.v[0].y >> 2u) + ((gid % params.v[0].w) * 32u + j)])) - mean; q = q + d * d; }
  red[lid] = q;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s = s >> 1u) { if (lid < s) { red[lid] = red[lid] + red[lid + s]; } workgroupBarrier(); }
  let sq = red[0];
  workgroupBarrier();
  let inv = inverseSqrt(sq / f32(32u) + 9.999999960041972e-13);
  for (var j = lid; j < 32u; j = j + 64u) { arena[(params.v[0].z >> 2u) + (base + j)] = bitcast<u32>(((bitcast<f32>(arena[(params.v[0].x >> 2u) + (base + j)]) + bitcast<f32>(arena[(params.v[0].y >> 2u) + ((gid % params.v[0].w) * 32u + j)])) - mean) * inv * bitcast<f32>(w0[(36096u >> 2u) + (j)]) + bitcast<f32>(w0[(36224u >> 2u) + (j)])); }
}

// ---- webgpu/008-cast-9fc17efd.wgsl
@group(0) @binding(0) var<storage, read_write> arena: array<u32>;
struct Params { v: array<vec4<u32>, 1> }
@group(0) @binding(1) var<uniform> params: Params;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let e0 = gid * 64u + lid;
  if (e0 >= params.v[0].z) { return; }
  {
  let e = e0;
  let v = f32(bitcast<i32>(arena[(params.v[0].y >> 2u) + 2u * (e)]));
  arena[(params.v[0].x >> 2u) + (e)] = bitcast<u32>(v);
  }
}

// ---- webgpu/009-sub-4ac3ddd2.wgsl
@group(0) @binding(0) var<storage, read_write> arena: array<u32>;
@group(0) @binding(1) var<storage, read> w0: array<u32>;
struct Params { v: array<vec4<u32>, 1> }
@group(0) @binding(2) var<uniform> params: Params;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let e0 = gid * 64u + lid;
  if (e0 >= params.v[0].z) { return; }
  {
  let e = e0;
  let v = (bitcast<f32>(w0[(36352u >> 2u) + (0u)]) - bitcast<f32>(arena[(params.v[0].y >> 2u) + (e)]));
  arena[(params.v[0].x >> 2u) + (e)] = bitcast<u32>(v);
  }
}

// ---- webgpu/010-mul-8358782e.wgsl
@group(0) @binding(0) var<storage, read_write> arena: array<u32>;
@group(0) @binding(1) var<storage, read> w0: array<u32>;
struct Params { v: array<vec4<u32>, 1> }
@group(0) @binding(2) var<uniform> params: Params;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let e0 = gid * 64u + lid;
  if (e0 >= params.v[0].z) { return; }
  {
  let e = e0;
  let v = (bitcast<f32>(arena[(params.v[0].y >> 2u) + (e)]) * bitcast<f32>(w0[(36416u >> 2u) + (0u)]));
  arena[(params.v[0].x >> 2u) + (e)] = bitcast<u32>(v);
  }
}

// ---- webgpu/011-linear-ec1e52bf.wgsl
@group(0) @binding(0) var<storage, read_write> arena: array<u32>;
@group(0) @binding(1) var<storage, read> w0: array<u32>;
struct Params { v: array<vec4<u32>, 1> }
@group(0) @binding(2) var<uniform> params: Params;
var<workgroup> tileA: array<f32, 256>;
var<workgroup> tileB: array<f32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let tn = gid % ((32u + 15u) / 16u);
  let tm = (gid / ((32u + 15u) / 16u)) % ((params.v[0].z + 15u) / 16u);
  let bi = gid / (((32u + 15u) / 16u) * ((params.v[0].z + 15u) / 16u));
  let lr = lid / 16u;
  let lc = lid % 16u;
  let row = tm * 16u + lr;
  let col = tn * 16u + lc;
  var acc = 0.0;
  for (var k0 = 0u; k0 < 32u; k0 = k0 + 16u) {
    let ka = k0 + lc;
    var av = 0.0;
    if (row < params.v[0].z && ka < 32u) { av = bitcast<f32>(arena[(params.v[0].x >> 2u) + (0u + row * 32u + ka)]); }
    tileA[lid] = av;
    let kb = k0 + lr;
    var bv = 0.0;
    if (kb < 32u && col < 32u) { bv = bitcast<f32>(w0[(36480u >> 2u) + (0u + kb * 32u + col)]); }
    tileB[lid] = bv;
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk = kk + 1u) { acc = acc + tileA[lr * 16u + kk] * tileB[kk * 16u + lc]; }
    workgroupBarrier();
  }
  if (row >= params.v[0].z || col >= 32u) { return; }
  let e = (bi * params.v[0].z + row) * 32u + col;
  acc = acc + bitcast<f32>(w0[(40576u >> 2u) + (col)]);
  arena[(params.v[0].y >> 2u) + (e)] = bitcast<u32>(acc);
}

// ---- webgpu/012-linear-c24dddf3.wgsl
@group(0) @binding(0) var<storage, read_write> arena: array<u32>;
@group(0) @binding(1) var<storage, read> w0: array<u32>;
struct Params { v: array<vec4<u32>, 1> }
@group(0) @binding(2) var<uniform> params: Params;
var<workgroup> tileA: array<f32, 256>;
var<workgroup> tileB: array<f32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let tn = gid % ((32u + 15u) / 16u);
  let tm = (gid / ((32u + 15u) / 16u)) % ((params.v[0].z + 15u) / 16u);
  let bi = gid / (((32u + 15u) / 16u) * ((params.v[0].z + 15u) / 16u));
  let lr = lid / 16u;
  let lc = lid % 16u;
  let row = tm * 16u + lr;
  let col = tn * 16u + lc;
  var acc = 0.0;
  for (var k0 = 0u; k0 < 32u; k0 = k0 + 16u) {
    let ka = k0 + lc;
    var av = 0.0;
    if (row < params.v[0].z && ka < 32u) { av = bitcast<f32>(arena[(params.v[0].x >> 2u) + (0u + row * 32u + ka)]); }
    tileA[lid] = av;
    let kb = k0 + lr;
    var bv = 0.0;
    if (kb < 32u && col < 32u) { bv = bitcast<f32>(w0[(40704u >> 2u) + (0u + kb * 32u + col)]); }
    tileB[lid] = bv;
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk = kk + 1u) { acc = acc + tileA[lr * 16u + kk] * tileB[kk * 16u + lc]; }
    workgroupBarrier();
  }
  if (row >= params.v[0].z || col >= 32u) { return; }
  let e = (bi * params.v[0].z + row) * 32u + col;
  acc = acc + bitcast<f32>(w0[(44800u >> 2u) + (col)]);
  arena[(params.v[0].y >> 2u) + (e)] = bitcast<u32>(acc);
}

// ---- webgpu/013-linear-19747b64.wgsl
@group(0) @binding(0) var<storage, read_write> arena: array<u32>;
@group(0) @binding(1) var<storage, read> w0: array<u32>;
struct Params { v: array<vec4<u32>, 1> }
@group(0) @binding(2) var<uniform> params: Params;
var<workgroup> tileA: array<f32, 256>;
var<workgroup> tileB: array<f32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let tn = gid % ((32u + 15u) / 16u);
  let tm = (gid / ((32u + 15u) / 16u)) % ((params.v[0].z + 15u) / 16u);
  let bi = gid / (((32u + 15u) / 16u) * ((params.v[0].z + 15u) / 16u));
  let lr = lid / 16u;
  let lc = lid % 16u;
  let row = tm * 16u + lr;
  let col = tn * 16u + lc;
  var acc = 0.0;
  for (var k0 = 0u; k0 < 32u; k0 = k0 + 16u) {
    let ka = k0 + lc;
    var av = 0.0;
    if (row < params.v[0].z && ka < 32u) { av = bitcast<f32>(arena[(params.v[0].x >> 2u) + (0u + row * 32u + ka)]); }
    tileA[lid] = av;
    let kb = k0 + lr;
    var bv = 0.0;
    if (kb < 32u && col < 32u) { bv = bitcast<f32>(w0[(44928u >> 2u) + (0u + kb * 32u + col)]); }
    tileB[lid] = bv;
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk = kk + 1u) { acc = acc + tileA[lr * 16u + kk] * tileB[kk * 16u + lc]; }
    workgroupBarrier();
  }
  if (row >= params.v[0].z || col >= 32u) { return; }
  let e = (bi * params.v[0].z + row) * 32u + col;
  acc = acc + bitcast<f32>(w0[(49024u >> 2u) + (col)]);
  arena[(params.v[0].y >> 2u) + (e)] = bitcast<u32>(acc);
}

// ---- webgpu/014-attention-a403acc5.wgsl
@group(0) @binding(0) var<storage, read_write> arena: array<u32>;
struct Params { v: array<vec4<u32>, 2> }
@group(0) @binding(1) var<uniform> params: Params;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let t = gid * 64u + lid;
  if (t >= params.v[1].x) { return; }
  let i = t % params.v[1].y;
  let h = (t / params.v[1].y) % 4u;
  let bi = t / (params.v[1].y * 4u);
  let qo = ((bi * params.v[1].y + i) * 32u) + h * 8u;
  var acc: array<f32, 8>;
  var m = -3.0e38;
  var l = 0.0;
  var kEnd = params.v[1].y;
  for (var j = 0u; j < kEnd; j = j + 1u) {
    let ko = ((bi * params.v[1].y + j) * 32u) + h * 8u;
    var s = 0.0;
    for (var d = 0u; d < 8u; d = d + 1u) { s = s + bitcast<f32>(arena[(params.v[0].x >> 2u) + (qo + d)]) * bitcast<f32>(arena[(params.v[0].y >> 2u) + (ko + d)]); }
    s = s * 0.3535533845424652;
    s = s + bitcast<f32>(arena[(params.v[1].z >> 2u) + (bi * params.v[1].y + j * 1u)]);
    let mNew = max(m, s);
    let corr = exp(m - mNew);
    let p = exp(s - mNew);
    l = l * corr + p;
    let vo = ((bi * params.v[1].y + j) * 32u) + h * 8u;
    for (var d = 0u; d < 8u; d = d + 1u) { acc[d] = acc[d] * corr + p * bitcast<f32>(arena[(params.v[0].z >> 2u) + (vo + d)]); }
    m = mNew;
  }
  let yo = ((bi * params.v[1].y + i) * 32u) + h * 8u;
  for (var d = 0u; d < 8u; d = d + 1u) { arena[(params.v[0].w >> 2u) + (yo + d)] = bitcast<u32>(acc[d] / l); }
}

// ---- webgpu/015-linear-944b0b69.wgsl
@group(0) @binding(0) var<storage, read_write> arena: array<u32>;
@group(0) @binding(1) var<storage, read> w0: array<u32>;
struct Params { v: array<vec4<u32>, 1> }
@group(0) @binding(2) var<uniform> params: Params;
var<workgroup> tileA: array<f32, 256>;
var<workgroup> tileB: array<f32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let tn = gid % ((32u + 15u) / 16u);
  let tm = (gid / ((32u + 15u) / 16u)) % ((params.v[0].z + 15u) / 16u);
  let bi = gid / (((32u + 15u) / 16u) * ((params.v[0].z + 15u) / 16u));
  let lr = lid / 16u;
  let lc = lid % 16u;
  let row = tm * 16u + lr;
  let col = tn * 16u + lc;
  var acc = 0.0;
  for (var k0 = 0u; k0 < 32u; k0 = k0 + 16u) {
    let ka = k0 + lc;
    var av = 0.0;
    if (row < params.v[0].z && ka < 32u) { av = bitcast<f32>(arena[(params.v[0].x >> 2u) + (0u + row * 32u + ka)]); }
    tileA[lid] = av;
    let kb = k0 + lr;
    var bv = 0.0;
    if (kb < 32u && col < 32u) { bv = bitcast<f32>(w0[(49152u >> 2u) + (0u + kb * 32u + col)]); }
    tileB[lid] = bv;
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk = kk + 1u) { acc = acc + tileA[lr * 16u + kk] * tileB[kk * 16u + lc]; }
    workgroupBarrier();
  }
  if (row >= params.v[0].z || col >= 32u) { return; }
  let e = (bi * params.v[0].z + row) * 32u + col;
  acc = acc + bitcast<f32>(w0[(53248u >> 2u) + (col)]);
  arena[(params.v[0].y >> 2u) + (e)] = bitcast<u32>(acc);
}

// ---- webgpu/016-skiplayernormalization-210e2f1b.wgsl
@group(0) @binding(0) var<storage, read_write> arena: array<u32>;
@group(0) @binding(1) var<storage, read> w0: array<u32>;
struct Params { v: array<vec4<u32>, 1> }
@group(0) @binding(2) var<uniform> params: Params;
var<workgroup> red: array<f32, 64>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let base = gid * 32u;
  var s = 0.0;
  for (var j = lid; j < 32u; j = j + 64u) { let v = (bitcast<f32>(arena[(params.v[0].x >> 2u) + (base + j)]) + bitcast<f32>(arena[(params.v[0].y >> 2u) + (base + j)])); s = s + v;  }
  red[lid] = s;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s = s >> 1u) { if (lid < s) { red[lid] = red[lid] + red[lid + s]; } workgroupBarrier(); }
  let total = red[0];
  workgroupBarrier();
  let mean = total / f32(32u);
  var q = 0.0;
  for (var j = lid; j < 32u; j = j + 64u) { let d = (bitcast<f32>(arena[(params.v[0].x >> 2u) + (base + j)]) + bitcast<f32>(arena[(params.v[0].y >> 2u) + (base + j)])) - mean; q = q + d * d; }
  red[lid] = q;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s = s >> 1u) { if (lid < s) { red[lid] = red[lid] + red[lid + s]; } workgroupBarrier(); }
  let sq = red[0];
  workgroupBarrier();
  let inv = inverseSqrt(sq / f32(32u) + 9.999999960041972e-13);
  for (var j = lid; j < 32u; j = j + 64u) { arena[(params.v[0].z >> 2u) + (base + j)] = bitcast<u32>(((bitcast<f32>(arena[(params.v[0].x >> 2u) + (base + j)]) + bitcast<f32>(arena[(params.v[0].y >> 2u) + (base + j)])) - mean) * inv * bitcast<f32>(w0[(53376u >> 2u) + (j)]) + bitcast<f32>(w0[(53504u >> 2u) + (j)])); }
}

// ---- webgpu/017-linear-08a9339b.wgsl
@group(0) @binding(0) var<storage, read_write> arena: array<u32>;
@group(0) @binding(1) var<storage, read> w0: array<u32>;
struct Params { v: array<vec4<u32>, 1> }
@group(0) @binding(2) var<uniform> params: Params;
var<workgroup> tileA: array<f32, 256>;
var<workgroup> tileB: array<f32, 256>;
fn xfc_erf(x: f32) -> f32 {
  // Abramowitz-Stegun 7.1.26 is too coarse; use erf(x) = sign(x)(1 - t·exp(-x²+P(t))) (Numerical Recipes erfc, |err| < 1.2e-7).
  let z = abs(x);
  let t = 1.0 / (1.0 + 0.5 * z);
  let r = t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
          t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return select(1.0 - r, r - 1.0, x < 0.0);
}
fn xfc_gelu(x: f32) -> f32 { return 0.5 * x * (1.0 + xfc_erf(x * 0.70710678118654752)); }
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let tn = gid % ((64u + 15u) / 16u);
  let tm = (gid / ((64u + 15u) / 16u)) % ((params.v[0].z + 15u) / 16u);
  let bi = gid / (((64u + 15u) / 16u) * ((params.v[0].z + 15u) / 16u));
  let lr = lid / 16u;
  let lc = lid % 16u;
  let row = tm * 16u + lr;
  let col = tn * 16u + lc;
  var acc = 0.0;
  for (var k0 = 0u; k0 < 32u; k0 = k0 + 16u) {
    let ka = k0 + lc;
    var av = 0.0;
    if (row < params.v[0].z && ka < 32u) { av = bitcast<f32>(arena[(params.v[0].x >> 2u) + (0u + row * 32u + ka)]); }
    tileA[lid] = av;
    let kb = k0 + lr;
    var bv = 0.0;
    if (kb < 32u && col < 64u) { bv = bitcast<f32>(w0[(53632u >> 2u) + (0u + kb * 64u + col)]); }
    tileB[lid] = bv;
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk = kk + 1u) { acc = acc + tileA[lr * 16u + kk] * tileB[kk * 16u + lc]; }
    workgroupBarrier();
  }
  if (row >= params.v[0].z || col >= 64u) { return; }
  let e = (bi * params.v[0].z + row) * 64u + col;
  acc = acc + bitcast<f32>(w0[(61824u >> 2u) + (col)]);
  acc = xfc_gelu(acc);
  arena[(params.v[0].y >> 2u) + (e)] = bitcast<u32>(acc);
}

// ---- webgpu/018-linear-b60f099a.wgsl
@group(0) @binding(0) var<storage, read_write> arena: array<u32>;
@group(0) @binding(1) var<storage, read> w0: array<u32>;
struct Params { v: array<vec4<u32>, 1> }
@group(0) @binding(2) var<uniform> params: Params;
var<workgroup> tileA: array<f32, 256>;
var<workgroup> tileB: array<f32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let tn = gid % ((32u + 15u) / 16u);
  let tm = (gid / ((32u + 15u) / 16u)) % ((params.v[0].z + 15u) / 16u);
  let bi = gid / (((32u + 15u) / 16u) * ((params.v[0].z + 15u) / 16u));
  let lr = lid / 16u;
  let lc = lid % 16u;
  let row = tm * 16u + lr;
  let col = tn * 16u + lc;
  var acc = 0.0;
  for (var k0 = 0u; k0 < 64u; k0 = k0 + 16u) {
    let ka = k0 + lc;
    var av = 0.0;
    if (row < params.v[0].z && ka < 64u) { av = bitcast<f32>(arena[(params.v[0].x >> 2u) + (0u + row * 64u + ka)]); }
    tileA[lid] = av;
    let kb = k0 + lr;
    var bv = 0.0;
    if (kb < 64u && col < 32u) { bv = bitcast<f32>(w0[(62080u >> 2u) + (0u + kb * 32u + col)]); }
    tileB[lid] = bv;
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk = kk + 1u) { acc = acc + tileA[lr * 16u + kk] * tileB[kk * 16u + lc]; }
    workgroupBarrier();
  }
  if (row >= params.v[0].z || col >= 32u) { return; }
  let e = (bi * params.v[0].z + row) * 32u + col;
  acc = acc + bitcast<f32>(w0[(70272u >> 2u) + (col)]);
  arena[(params.v[0].y >> 2u) + (e)] = bitcast<u32>(acc);
}

// ---- webgpu/019-skiplayernormalization-90e6ef23.wgsl
@group(0) @binding(0) var<storage, read_write> arena: array<u32>;
@group(0) @binding(1) var<storage, read> w0: array<u32>;
struct Params { v: array<vec4<u32>, 1> }
@group(0) @binding(2) var<uniform> params: Params;
var<workgroup> red: array<f32, 64>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let base = gid * 32u;
  var s = 0.0;
  for (var j = lid; j < 32u; j = j + 64u) { let v = (bitcast<f32>(arena[(params.v[0].x >> 2u) + (base + j)]) + bitcast<f32>(arena[(params.v[0].y >> 2u) + (base + j)])); s = s + v;  }
  red[lid] = s;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s = s >> 1u) { if (lid < s) { red[lid] = red[lid] + red[lid + s]; } workgroupBarrier(); }
  let total = red[0];
  workgroupBarrier();
  let mean = total / f32(32u);
  var q = 0.0;
  for (var j = lid; j < 32u; j = j + 64u) { let d = (bitcast<f32>(arena[(params.v[0].x >> 2u) + (base + j)]) + bitcast<f32>(arena[(params.v[0].y >> 2u) + (base + j)])) - mean; q = q + d * d; }
  red[lid] = q;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s = s >> 1u) { if (lid < s) { red[lid] = red[lid] + red[lid + s]; } workgroupBarrier(); }
  let sq = red[0];
  workgroupBarrier();
  let inv = inverseSqrt(sq / f32(32u) + 9.999999960041972e-13);
  for (var j = lid; j < 32u; j = j + 64u) { arena[(params.v[0].z >> 2u) + (base + j)] = bitcast<u32>(((bitcast<f32>(arena[(params.v[0].x >> 2u) + (base + j)]) + bitcast<f32>(arena[(params.v[0].y >> 2u) + (base + j)])) - mean) * inv * bitcast<f32>(w0[(70400u >> 2u) + (j)]) + bitcast<f32>(w0[(70528u >> 2u) + (j)])); }
}

// ---- webgpu/020-linear-9c2ea6fd.wgsl
@group(0) @binding(0) var<storage, read_write> arena: array<u32>;
@group(0) @binding(1) var<storage, read> w0: array<u32>;
struct Params { v: array<vec4<u32>, 1> }
@group(0) @binding(2) var<uniform> params: Params;
var<workgroup> tileA: array<f32, 256>;
var<workgroup> tileB: array<f32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let tn = gid % ((32u + 15u) / 16u);
  let tm = (gid / ((32u + 15u) / 16u)) % ((params.v[0].z + 15u) / 16u);
  let bi = gid / (((32u + 15u) / 16u) * ((params.v[0].z + 15u) / 16u));
  let lr = lid / 16u;
  let lc = lid % 16u;
  let row = tm * 16u + lr;
  let col = tn * 16u + lc;
  var acc = 0.0;
  for (var k0 = 0u; k0 < 32u; k0 = k0 + 16u) {
    let ka = k0 + lc;
    var av = 0.0;
    if (row < params.v[0].z && ka < 32u) { av = bitcast<f32>(arena[(params.v[0].x >> 2u) + (0u + row * 32u + ka)]); }
    tileA[lid] = av;
    let kb = k0 + lr;
    var bv = 0.0;
    if (kb < 32u && col < 32u) { bv = bitcast<f32>(w0[(70656u >> 2u) + (0u + kb * 32u + col)]); }
    tileB[lid] = bv;
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk = kk + 1u) { acc = acc + tileA[lr * 16u + kk] * tileB[kk * 16u + lc]; }
    workgroupBarrier();
  }
  if (row >= params.v[0].z || col >= 32u) { return; }
  let e = (bi * params.v[0].z + row) * 32u + col;
  acc = acc + bitcast<f32>(w0[(74752u >> 2u) + (col)]);
  arena[(params.v[0].y >> 2u) + (e)] = bitcast<u32>(acc);
}

// ---- webgpu/021-linear-7235fee8.wgsl
@group(0) @binding(0) var<storage, read_write> arena: array<u32>;
@group(0) @binding(1) var<storage, read> w0: array<u32>;
struct Params { v: array<vec4<u32>, 1> }
@group(0) @binding(2) var<uniform> params: Params;
var<workgroup> tileA: array<f32, 256>;
var<workgroup> tileB: array<f32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let tn = gid % ((32u + 15u) / 16u);
  let tm = (gid / ((32u + 15u) / 16u)) % ((params.v[0].z + 15u) / 16u);
  let bi = gid / (((32u + 15u) / 16u) * ((params.v[0].z + 15u) / 16u));
  let lr = lid / 16u;
  let lc = lid % 16u;
  let row = tm * 16u + lr;
  let col = tn * 16u + lc;
  var acc = 0.0;
  for (var k0 = 0u; k0 < 32u; k0 = k0 + 16u) {
    let ka = k0 + lc;
    var av = 0.0;
    if (row < params.v[0].z && ka < 32u) { av = bitcast<f32>(arena[(params.v[0].x >> 2u) + (0u + row * 32u + ka)]); }
    tileA[lid] = av;
    let kb = k0 + lr;
    var bv = 0.0;
    if (kb < 32u && col < 32u) { bv = bitcast<f32>(w0[(74880u >> 2u) + (0u + kb * 32u + col)]); }
    tileB[lid] = bv;
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk = kk + 1u) { acc = acc + tileA[lr * 16u + kk] * tileB[kk * 16u + lc]; }
    workgroupBarrier();
  }
  if (row >= params.v[0].z || col >= 32u) { return; }
  let e = (bi * params.v[0].z + row) * 32u + col;
  acc = acc + bitcast<f32>(w0[(78976u >> 2u) + (col)]);
  arena[(params.v[0].y >> 2u) + (e)] = bitcast<u32>(acc);
}

// ---- webgpu/022-linear-d4f4fb88.wgsl
@group(0) @binding(0) var<storage, read_write> arena: array<u32>;
@group(0) @binding(1) var<storage, read> w0: array<u32>;
struct Params { v: array<vec4<u32>, 1> }
@group(0) @binding(2) var<uniform> params: Params;
var<workgroup> tileA: array<f32, 256>;
var<workgroup> tileB: array<f32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let tn = gid % ((32u + 15u) / 16u);
  let tm = (gid / ((32u + 15u) / 16u)) % ((params.v[0].z + 15u) / 16u);
  let bi = gid / (((32u + 15u) / 16u) * ((params.v[0].z + 15u) / 16u));
  let lr = lid / 16u;
  let lc = lid % 16u;
  let row = tm * 16u + lr;
  let col = tn * 16u + lc;
  var acc = 0.0;
  for (var k0 = 0u; k0 < 32u; k0 = k0 + 16u) {
    let ka = k0 + lc;
    var av = 0.0;
    if (row < params.v[0].z && ka < 32u) { av = bitcast<f32>(arena[(params.v[0].x >> 2u) + (0u + row * 32u + ka)]); }
    tileA[lid] = av;
    let kb = k0 + lr;
    var bv = 0.0;
    if (kb < 32u && col < 32u) { bv = bitcast<f32>(w0[(79104u >> 2u) + (0u + kb * 32u + col)]); }
    tileB[lid] = bv;
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk = kk + 1u) { acc = acc + tileA[lr * 16u + kk] * tileB[kk * 16u + lc]; }
    workgroupBarrier();
  }
  if (row >= params.v[0].z || col >= 32u) { return; }
  let e = (bi * params.v[0].z + row) * 32u + col;
  acc = acc + bitcast<f32>(w0[(83200u >> 2u) + (col)]);
  arena[(params.v[0].y >> 2u) + (e)] = bitcast<u32>(acc);
}

// ---- webgpu/023-linear-53e16be3.wgsl
@group(0) @binding(0) var<storage, read_write> arena: array<u32>;
@group(0) @binding(1) var<storage, read> w0: array<u32>;
struct Params { v: array<vec4<u32>, 1> }
@group(0) @binding(2) var<uniform> params: Params;
var<workgroup> tileA: array<f32, 256>;
var<workgroup> tileB: array<f32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let tn = gid % ((32u + 15u) / 16u);
  let tm = (gid / ((32u + 15u) / 16u)) % ((params.v[0].z + 15u) / 16u);
  let bi = gid / (((32u + 15u) / 16u) * ((params.v[0].z + 15u) / 16u));
  let lr = lid / 16u;
  let lc = lid % 16u;
  let row = tm * 16u + lr;
  let col = tn * 16u + lc;
  var acc = 0.0;
  for (var k0 = 0u; k0 < 32u; k0 = k0 + 16u) {
    let ka = k0 + lc;
    var av = 0.0;
    if (row < params.v[0].z && ka < 32u) { av = bitcast<f32>(arena[(params.v[0].x >> 2u) + (0u + row * 32u + ka)]); }
    tileA[lid] = av;
    let kb = k0 + lr;
    var bv = 0.0;
    if (kb < 32u && col < 32u) { bv = bitcast<f32>(w0[(83328u >> 2u) + (0u + kb * 32u + col)]); }
    tileB[lid] = bv;
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk = kk + 1u) { acc = acc + tileA[lr * 16u + kk] * tileB[kk * 16u + lc]; }
    workgroupBarrier();
  }
  if (row >= params.v[0].z || col >= 32u) { return; }
  let e = (bi * params.v[0].z + row) * 32u + col;
  acc = acc + bitcast<f32>(w0[(87424u >> 2u) + (col)]);
  arena[(params.v[0].y >> 2u) + (e)] = bitcast<u32>(acc);
}

// ---- webgpu/024-skiplayernormalization-cc463b7a.wgsl
@group(0) @binding(0) var<storage, read_write> arena: array<u32>;
@group(0) @binding(1) var<storage, read> w0: array<u32>;
struct Params { v: array<vec4<u32>, 1> }
@group(0) @binding(2) var<uniform> params: Params;
var<workgroup> red: array<f32, 64>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let base = gid * 32u;
  var s = 0.0;
  for (var j = lid; j < 32u; j = j + 64u) { let v = (bitcast<f32>(arena[(params.v[0].x >> 2u) + (base + j)]) + bitcast<f32>(arena[(params.v[0].y >> 2u) + (base + j)])); s = s + v;  }
  red[lid] = s;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s = s >> 1u) { if (lid < s) { red[lid] = red[lid] + red[lid + s]; } workgroupBarrier(); }
  let total = red[0];
  workgroupBarrier();
  let mean = total / f32(32u);
  var q = 0.0;
  for (var j = lid; j < 32u; j = j + 64u) { let d = (bitcast<f32>(arena[(params.v[0].x >> 2u) + (base + j)]) + bitcast<f32>(arena[(params.v[0].y >> 2u) + (base + j)])) - mean; q = q + d * d; }
  red[lid] = q;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s = s >> 1u) { if (lid < s) { red[lid] = red[lid] + red[lid + s]; } workgroupBarrier(); }
  let sq = red[0];
  workgroupBarrier();
  let inv = inverseSqrt(sq / f32(32u) + 9.999999960041972e-13);
  for (var j = lid; j < 32u; j = j + 64u) { arena[(params.v[0].z >> 2u) + (base + j)] = bitcast<u32>(((bitcast<f32>(arena[(params.v[0].x >> 2u) + (base + j)]) + bitcast<f32>(arena[(params.v[0].y >> 2u) + (base + j)])) - mean) * inv * bitcast<f32>(w0[(87552u >> 2u) + (j)]) + bitcast<f32>(w0[(87680u >> 2u) + (j)])); }
}

// ---- webgpu/025-linear-e538c4b7.wgsl
@group(0) @binding(0) var<storage, read_write> arena: array<u32>;
@group(0) @binding(1) var<storage, read> w0: array<u32>;
struct Params { v: array<vec4<u32>, 1> }
@group(0) @binding(2) var<uniform> params: Params;
var<workgroup> tileA: array<f32, 256>;
var<workgroup> tileB: array<f32, 256>;
fn xfc_erf(x: f32) -> f32 {
  // Abramowitz-Stegun 7.1.26 is too coarse; use erf(x) = sign(x)(1 - t·exp(-x²+P(t))) (Numerical Recipes erfc, |err| < 1.2e-7).
  let z = abs(x);
  let t = 1.0 / (1.0 + 0.5 * z);
  let r = t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
          t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return select(1.0 - r, r - 1.0, x < 0.0);
}
fn xfc_gelu(x: f32) -> f32 { return 0.5 * x * (1.0 + xfc_erf(x * 0.70710678118654752)); }
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let tn = gid % ((64u + 15u) / 16u);
  let tm = (gid / ((64u + 15u) / 16u)) % ((params.v[0].z + 15u) / 16u);
  let bi = gid / (((64u + 15u) / 16u) * ((params.v[0].z + 15u) / 16u));
  let lr = lid / 16u;
  let lc = lid % 16u;
  let row = tm * 16u + lr;
  let col = tn * 16u + lc;
  var acc = 0.0;
  for (var k0 = 0u; k0 < 32u; k0 = k0 + 16u) {
    let ka = k0 + lc;
    var av = 0.0;
    if (row < params.v[0].z && ka < 32u) { av = bitcast<f32>(arena[(params.v[0].x >> 2u) + (0u + row * 32u + ka)]); }
    tileA[lid] = av;
    let kb = k0 + lr;
    var bv = 0.0;
    if (kb < 32u && col < 64u) { bv = bitcast<f32>(w0[(87808u >> 2u) + (0u + kb * 64u + col)]); }
    tileB[lid] = bv;
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk = kk + 1u) { acc = acc + tileA[lr * 16u + kk] * tileB[kk * 16u + lc]; }
    workgroupBarrier();
  }
  if (row >= params.v[0].z || col >= 64u) { return; }
  let e = (bi * params.v[0].z + row) * 64u + col;
  acc = acc + bitcast<f32>(w0[(96000u >> 2u) + (col)]);
  acc = xfc_gelu(acc);
  arena[(params.v[0].y >> 2u) + (e)] = bitcast<u32>(acc);
}

// ---- webgpu/026-linear-c34b780d.wgsl
@group(0) @binding(0) var<storage, read_write> arena: array<u32>;
@group(0) @binding(1) var<storage, read> w0: array<u32>;
struct Params { v: array<vec4<u32>, 1> }
@group(0) @binding(2) var<uniform> params: Params;
var<workgroup> tileA: array<f32, 256>;
var<workgroup> tileB: array<f32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let tn = gid % ((32u + 15u) / 16u);
  let tm = (gid / ((32u + 15u) / 16u)) % ((params.v[0].z + 15u) / 16u);
  let bi = gid / (((32u + 15u) / 16u) * ((params.v[0].z + 15u) / 16u));
  let lr = lid / 16u;
  let lc = lid % 16u;
  let row = tm * 16u + lr;
  let col = tn * 16u + lc;
  var acc = 0.0;
  for (var k0 = 0u; k0 < 64u; k0 = k0 + 16u) {
    let ka = k0 + lc;
    var av = 0.0;
    if (row < params.v[0].z && ka < 64u) { av = bitcast<f32>(arena[(params.v[0].x >> 2u) + (0u + row * 64u + ka)]); }
    tileA[lid] = av;
    let kb = k0 + lr;
    var bv = 0.0;
    if (kb < 64u && col < 32u) { bv = bitcast<f32>(w0[(96256u >> 2u) + (0u + kb * 32u + col)]); }
    tileB[lid] = bv;
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk = kk + 1u) { acc = acc + tileA[lr * 16u + kk] * tileB[kk * 16u + lc]; }
    workgroupBarrier();
  }
  if (row >= params.v[0].z || col >= 32u) { return; }
  let e = (bi * params.v[0].z + row) * 32u + col;
  acc = acc + bitcast<f32>(w0[(104448u >> 2u) + (col)]);
  arena[(params.v[0].y >> 2u) + (e)] = bitcast<u32>(acc);
}

// ---- webgpu/027-skiplayernormalization-d2f4cb5d.wgsl
@group(0) @binding(0) var<storage, read_write> arena: array<u32>;
@group(0) @binding(1) var<storage, read> w0: array<u32>;
struct Params { v: array<vec4<u32>, 1> }
@group(0) @binding(2) var<uniform> params: Params;
var<workgroup> red: array<f32, 64>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let base = gid * 32u;
  var s = 0.0;
  for (var j = lid; j < 32u; j = j + 64u) { let v = (bitcast<f32>(arena[(params.v[0].x >> 2u) + (base + j)]) + bitcast<f32>(arena[(params.v[0].y >> 2u) + (base + j)])); s = s + v;  }
  red[lid] = s;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s = s >> 1u) { if (lid < s) { red[lid] = red[lid] + red[lid + s]; } workgroupBarrier(); }
  let total = red[0];
  workgroupBarrier();
  let mean = total / f32(32u);
  var q = 0.0;
  for (var j = lid; j < 32u; j = j + 64u) { let d = (bitcast<f32>(arena[(params.v[0].x >> 2u) + (base + j)]) + bitcast<f32>(arena[(params.v[0].y >> 2u) + (base + j)])) - mean; q = q + d * d; }
  red[lid] = q;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s = s >> 1u) { if (lid < s) { red[lid] = red[lid] + red[lid + s]; } workgroupBarrier(); }
  let sq = red[0];
  workgroupBarrier();
  let inv = inverseSqrt(sq / f32(32u) + 9.999999960041972e-13);
  for (var j = lid; j < 32u; j = j + 64u) { arena[(params.v[0].z >> 2u) + (base + j)] = bitcast<u32>(((bitcast<f32>(arena[(params.v[0].x >> 2u) + (base + j)]) + bitcast<f32>(arena[(params.v[0].y >> 2u) + (base + j)])) - mean) * inv * bitcast<f32>(w0[(104576u >> 2u) + (j)]) + bitcast<f32>(w0[(104704u >> 2u) + (j)])); }
}
