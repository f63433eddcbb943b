// ---- webgpu/000-slice-ea5fdb8b.wgsl
@group(0) @binding(0) var<storage, read_write> arena: array<u32>;
@group(0) @binding(1) var<storage, read> w0: array<u32>;
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
  let si = (c1);
  let r = vec2<u32>(w0[(params.v[0].z >> 2u) + 2u * (si)], w0[(params.v[0].z >> 2u) + 2u * (si) + 1u]);
  arena[(params.v[0].x >> 2u) + 2u * e] = r.x;
  arena[(params.v[0].x >> 2u) + 2u * e + 1u] = r.y;
}

// ---- webgpu/001-expand-615a2d9d.wgsl
@group(0) @binding(0) var<storage, read_write> arena: array<u32>;
struct Params { v: array<vec4<u32>, 1> }
@group(0) @binding(1) var<uniform> params: Params;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let e = gid * 64u + lid;
  if (e >= params.v[0].y) { return; }
  var c_r = e;
  let c1 = c_r % params.v[0].w; c_r = c_r / params.v[0].w;
  let c0 = c_r;
  let si = c1;
  let r = vec2<u32>(arena[(params.v[0].z >> 2u) + 2u * (si)], arena[(params.v[0].z >> 2u) + 2u * (si) + 1u]);
  arena[(params.v[0].x >> 2u) + 2u * e] = r.x;
  arena[(params.v[0].x >> 2u) + 2u * e + 1u] = r.y;
}

// ---- webgpu/002-gather-9b61e9a0.wgsl
@group(0) @binding(0) var<storage, read_write> arena: array<u32>;
@group(0) @binding(1) var<storage, read> w0: array<u32>;
struct Params { v: array<vec4<u32>, 2> }
@group(0) @binding(2) var<uniform> params: Params;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let e = gid * 64u + lid;
  if (e >= params.v[0].y) { return; }
  var c_r = e;
  let c2 = c_r % 32u; c_r = c_r / 32u;
  let c1 = c_r % params.v[1].x; c_r = c_r / params.v[1].x;
  let c0 = c_r;
  let g_v = bitcast<i32>(arena[(params.v[0].w >> 2u) + 2u * ((c0) * params.v[1].x + (c1))]);
  let g = select(u32(g_v), u32(g_v + i32(100u)), g_v < 0i);
  let si = (g) * 32u + (c2);
  let r = w0[(params.v[0].z >> 2u) + (si)];
  arena[(params.v[0].x >> 2u) + e] = r;
}

// ---- webgpu/003-gather-bfc7755b.wgsl
@group(0) @binding(0) var<storage, read_write> arena: array<u32>;
@group(0) @binding(1) var<storage, read> w0: array<u32>;
struct Params { v: array<vec4<u32>, 2> }
@group(0) @binding(2) var<uniform> params: Params;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let e = gid * 64u + lid;
  if (e >= params.v[0].y) { return; }
  var c_r = e;
  let c2 = c_r % 32u; c_r = c_r / 32u;
  let c1 = c_r % params.v[1].x; c_r = c_r / params.v[1].x;
  let c0 = c_r;
  let g_v = bitcast<i32>(arena[(params.v[0].w >> 2u) + 2u * ((c0) * params.v[1].x + (c1))]);
  let g = select(u32(g_v), u32(g_v + i32(2u)), g_v < 0i);
  let si = (g) * 32u + (c2);
  let r = w0[(params.v[0].z >> 2u) + (si)];
  arena[(params.v[0].x >> 2u) + e] = r;
}

// ---- webgpu/004-add-50375700.wgsl
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

// ---- webgpu/005-gather-32719ada.wgsl
@group(0) @binding(0) var<storage, read_write> arena: array<u32>;
@group(0) @binding(1) var<storage, read> w0: array<u32>;
struct Params { v: array<vec4<u32>, 2> }
@group(0) @binding(2) var<uniform> params: Params;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let e = gid * 64u + lid;
  if (e >= params.v[0].y) { return; }
  var c_r = e;
  let c2 = c_r % 32u; c_r = c_r / 32u;
  let c1 = c_r % params.v[1].x; c_r = c_r / params.v[1].x;
  let c0 = c_r;
  let g_v = bitcast<i32>(arena[(params.v[0].w >> 2u) + 2u * ((c1))]);
  let g = select(u32(g_v), u32(g_v + i32(160u)), g_v < 0i);
  let si = (g) * 32u + (c2);
  let r = w0[(params.v[0].z >> 2u) + (si)];
  arena[(params.v[0].x >> 2u) + e] = r;
}

// ---- webgpu/006-skiplayernormalization-94039e40.wgsl
@group(0) @binding(0) var<storage, read_write> arena: array<u32>;
@group(0) @binding(1) var<storage, read> w0: array<u32>;
struct Params { v: array<vec4<u32>, 2> }
@group(0) @binding(2) var<uniform> params: Params;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let row = gid * 64u + lid;
  if (row >= params.v[1].z) { return; }
  let base = row * 32u;
  var s0: f32 = 0.0;
  for (var j = 0u; j < 32u; j = j + 1u) {
    let p = base + j;
    let x = (bitcast<f32>(arena[(params.v[0].x >> 2u) + (p)]) + bitcast<f32>(arena[(params.v[0].y >> 2u) + ((row % params.v[1].y) * 32u + j)]));
    s0 = s0 + x;
  }
  let mean = s0 / f32(32u);
  var q0: f32 = 0.0;
  for (var j = 0u; j < 32u; j = j + 1u) {
    let p = base + j;
    let x = (bitcast<f32>(arena[(params.v[0].x >> 2u) + (p)]) + bitcast<f32>(arena[(params.v[0].y >> 2u) + ((row % params.v[1].y) * 32u + j)]));
    q0 = q0 + (x - mean) * (x - mean);
  }
  let inv = inverseSqrt(q0 / f32(32u) + 9.999999960041972e-13);
  for (var j = 0u; j < 32u; j = j + 1u) {
    let p = base + j;
    arena[(params.v[0].w >> 2u) + (p)] = bitcast<u32>(((bitcast<f32>(arena[(params.v[0].x >> 2u) + (p)]) + bitcast<f32>(arena[(params.v[0].y >> 2u) + ((row % params.v[1].y) * 32u + j)])) - mean) * inv * bitcast<f32>(w0[(params.v[0].z >> 2u) + (j)]) + bitcast<f32>(w0[(params.v[1].x >> 2u) + (j)]));
  }
}

// ---- webgpu/007-cast-9fc17efd.wgsl
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

// ---- webgpu/008-sub-56c6efff.wgsl
@group(0) @binding(0) var<storage, read_write> arena: array<u32>;
@group(0) @binding(1) var<storage, read> w0: array<u32>;
struct Params { v: array<vec4<u32>, 1> }
@group(0) @binding(2) var<uniform> params: Params;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let e0 = gid * 64u + lid;
  if (e0 >= params.v[0].w) { return; }
  {
  let e = e0;
  let v = (bitcast<f32>(w0[(params.v[0].y >> 2u) + (0u)]) - bitcast<f32>(arena[(params.v[0].z >> 2u) + (e)]));
  arena[(params.v[0].x >> 2u) + (e)] = bitcast<u32>(v);
  }
}

// ---- webgpu/009-mul-65185ad0.wgsl
@group(0) @binding(0) var<storage, read_write> arena: array<u32>;
@group(0) @binding(1) var<storage, read> w0: array<u32>;
struct Params { v: array<vec4<u32>, 1> }
@group(0) @binding(2) var<uniform> params: Params;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let e0 = gid * 64u + lid;
  if (e0 >= params.v[0].w) { return; }
  {
  let e = e0;
  let v = (bitcast<f32>(arena[(params.v[0].y >> 2u) + (e)]) * bitcast<f32>(w0[(params.v[0].z >> 2u) + (0u)]));
  arena[(params.v[0].x >> 2u) + (e)] = bitcast<u32>(v);
  }
}

// ---- webgpu/010-linear-8569aedf.wgsl
@group(0) @binding(0) var<storage, read_write> arena: array<u32>;
@group(0) @binding(1) var<storage, read> w0: array<u32>;
struct Params { v: array<vec4<u32>, 2> }
@group(0) @binding(2) var<uniform> params: Params;
var<workgroup> As: array<vec4<f32>, 256>;
var<workgroup> Bs: array<vec4<f32>, 128>;
@compute @workgroup_size(128)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  if (gid >= ((params.v[0].w + 63u) / 64u) * 1u) { return; }
  let tn0 = (gid % 1u) * 32u;
  let tm0 = ((gid / 1u) % ((params.v[0].w + 63u) / 64u)) * 64u;
  let bi = gid / (1u * ((params.v[0].w + 63u) / 64u));
  let tx = lid % 8u;
  let ty = lid / 8u;
  var acc: array<vec4<f32>, 4>;
  for (var k0 = 0u; k0 < 32u; k0 = k0 + 16u) {
    for (var e = lid; e < 256u; e = e + 128u) {
      let vv = e / 4u;
      let kk = (e % 4u) * 4u;
      let gv = tm0 + vv;
      let gk = k0 + kk;
      var x = vec4<f32>(0.0);
      if (gv < params.v[0].w && gk < 32u) { x = vec4<f32>(bitcast<f32>(arena[(params.v[0].x >> 2u) + ((gv) * 32u + gk)]), bitcast<f32>(arena[(params.v[0].x >> 2u) + ((gv) * 32u + gk + 1u)]), bitcast<f32>(arena[(params.v[0].x >> 2u) + ((gv) * 32u + gk + 2u)]), bitcast<f32>(arena[(params.v[0].x >> 2u) + ((gv) * 32u + gk + 3u)])); }
      As[(kk + 0u) * 16u + vv / 4u][vv % 4u] = x.x;
      As[(kk + 1u) * 16u + vv / 4u][vv % 4u] = x.y;
      As[(kk + 2u) * 16u + vv / 4u][vv % 4u] = x.z;
      As[(kk + 3u) * 16u + vv / 4u][vv % 4u] = x.w;
    }
    for (var e = lid; e < 128u; e = e + 128u) {
      let vv = (e % 8u) * 4u;
      let kk = e / 8u;
      let gv = tn0 + vv;
      let gk = k0 + kk;
      var x = vec4<f32>(0.0);
      if (gv < 32u && gk < 32u) { x = vec4<f32>(bitcast<f32>(w0[(params.v[0].y >> 2u) + (((gv) / 8u * 32u + gk) * 8u + (gv) % 8u)]), bitcast<f32>(w0[(params.v[0].y >> 2u) + (((gv + 1u) / 8u * 32u + gk) * 8u + (gv + 1u) % 8u)]), bitcast<f32>(w0[(params.v[0].y >> 2u) + (((gv + 2u) / 8u * 32u + gk) * 8u + (gv + 2u) % 8u)]), bitcast<f32>(w0[(params.v[0].y >> 2u) + (((gv + 3u) / 8u * 32u + gk) * 8u + (gv + 3u) % 8u)])); }
      Bs[e] = x;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk = kk + 1u) {
      let av = As[kk * 16u + ty];
      let bv = Bs[kk * 8u + tx];
      acc[0] = acc[0] + av.x * bv;
      acc[1] = acc[1] + av.y * bv;
      acc[2] = acc[2] + av.z * bv;
      acc[3] = acc[3] + av.w * bv;
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i = i + 1u) {
    let row = tm0 + ty * 4u + i;
    if (row >= params.v[0].w) { break; }
    for (var j = 0u; j < 4u; j = j + 1u) {
      let col = tn0 + tx * 4u + j;
      if (col >= 32u) { break; }
      let e = (bi * params.v[0].w + row) * 32u + col;
      var v = acc[i][j];
      v = v + bitcast<f32>(w0[(params.v[1].x >> 2u) + (col)]);
      arena[(params.v[0].z >> 2u) + (e)] = bitcast<u32>(v);
    }
  }
}

// ---- webgpu/011-attention-124fefc6.wgsl
@group(0) @binding(0) var<storage, read_write> arena: array<u32>;
struct Params { v: array<vec4<u32>, 2> }
@group(0) @binding(1) var<uniform> params: Params;
var<workgroup> Qs: array<vec4<f32>, 64>;
var<workgroup> KV: array<vec4<f32>, 64>;
var<workgroup> Ss: array<f32, 1024>;
var<workgroup> ms: array<f32, 32>;
var<workgroup> ls: array<f32, 32>;
var<workgroup> als: array<f32, 32>;
fn xfc_nan() -> f32 { var bits = 0x7fc00000u; return bitcast<f32>(bits); }
fn xfc_inf() -> f32 { var bits = 0x7f800000u; return bitcast<f32>(bits); }
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  if (gid >= params.v[1].z * ((params.v[0].x + 31u) / 32u)) { return; }
  let negInf = -xfc_inf();
  let q0 = (gid % ((params.v[0].x + 31u) / 32u)) * 32u;
  let l = gid / ((params.v[0].x + 31u) / 32u);
  var ld_r = l;
  let ld1 = ld_r % 4u; ld_r = ld_r / 4u;
  let ld0 = ld_r;
  let qBase = ld0 * params.v[1].y + ld1 * 8u;
  let kBase = ld0 * params.v[1].y + ld1 * 8u;
  let vBase = ld0 * params.v[1].y + ld1 * 8u;
  let yBase = ld0 * params.v[1].y + ld1 * 8u;
  {
    let t = 0u;
    let e = lid;
    let r = e / 2u;
    let i = q0 + r;
    var x = vec4<f32>(0.0);
    if (i < params.v[0].x) { x = vec4<f32>(bitcast<f32>(arena[(params.v[0].y >> 2u) + (qBase + (i) * 32u + (e % 2u * 4u + 0u) * 1u)]), bitcast<f32>(arena[(params.v[0].y >> 2u) + (qBase + (i) * 32u + (e % 2u * 4u + 1u) * 1u)]), bitcast<f32>(arena[(params.v[0].y >> 2u) + (qBase + (i) * 32u + (e % 2u * 4u + 2u) * 1u)]), bitcast<f32>(arena[(params.v[0].y >> 2u) + (qBase + (i) * 32u + (e % 2u * 4u + 3u) * 1u)])) * 0.3535533845424652; }
    Qs[e] = x;
  }
  if (lid < 32u) { ms[lid] = 0.0; ls[lid] = 0.0; }
  var acc: array<vec4<f32>, 1>;
  let kEnd = params.v[0].x;
  workgroupBarrier();
  for (var k0 = 0u; k0 < kEnd; k0 = k0 + 32u) {
    {
      let t = 0u;
    let e = lid;
      let j = e / 2u;
      let d = e % 2u;
      var x = vec4<f32>(0.0);
      if (k0 + j < params.v[0].x) { x = vec4<f32>(bitcast<f32>(arena[(params.v[0].z >> 2u) + (kBase + (k0 + j) * 32u + (d * 4u + 0u) * 1u)]), bitcast<f32>(arena[(params.v[0].z >> 2u) + (kBase + (k0 + j) * 32u + (d * 4u + 1u) * 1u)]), bitcast<f32>(arena[(params.v[0].z >> 2u) + (kBase + (k0 + j) * 32u + (d * 4u + 2u) * 1u)]), bitcast<f32>(arena[(params.v[0].z >> 2u) + (kBase + (k0 + j) * 32u + (d * 4u + 3u) * 1u)])); }
      KV[j * 2u + d] = x;
    }
    workgroupBarrier();
    for (var t = 0u; t < 16u; t = t + 1u) {
      let e = lid + t * 64u;
      let r = e / 32u;
      let j = e % 32u;
      let i = q0 + r;
      let kj = k0 + j;
      var s = 0.0;
      for (var d = 0u; d < 2u; d = d + 1u) { s = s + dot(Qs[r * 2u + d], KV[j * 2u + d]); }
      var dropped = kj >= params.v[0].x || i >= params.v[0].x;
      if (!dropped) {
        let mv = bitcast<f32>(arena[(params.v[1].w >> 2u) + (ld0 * params.v[0].x + kj)]);
        dropped = bitcast<u32>(mv) == 0xff800000u;
        s = s + mv;
      }
      Ss[e] = select(s, negInf, dropped);
    }
    workgroupBarrier();
    {
      let t = 0u;
    let e = lid;
      let j = e / 2u;
      var x = vec4<f32>(0.0);
      if (k0 + j < params.v[0].x) { x = vec4<f32>(bitcast<f32>(arena[(params.v[0].w >> 2u) + (vBase + (k0 + j) * 32u + (e % 2u * 4u + 0u) * 1u)]), bitcast<f32>(arena[(params.v[0].w >> 2u) + (vBase + (k0 + j) * 32u + (e % 2u * 4u + 1u) * 1u)]), bitcast<f32>(arena[(params.v[0].w >> 2u) + (vBase + (k0 + j) * 32u + (e % 2u * 4u + 2u) * 1u)]), bitcast<f32>(arena[(params.v[0].w >> 2u) + (vBase + (k0 + j) * 32u + (e % 2u * 4u + 3u) * 1u)])); }
      KV[e] = x;
    }
    if (lid < 32u) {
      let mOld = ms[lid];
      let lOld = ls[lid];
      var mx = mOld;
      var seen = lOld > 0.0;
      for (var j = 0u; j < 32u; j = j + 1u) {
        let s = Ss[lid * 32u + j];
        if (bitcast<u32>(s) != 0xff800000u) { mx = select(s, max(mx, s), seen); seen = true; }
      }
      var sum = 0.0;
      for (var j = 0u; j < 32u; j = j + 1u) {
        let s = Ss[lid * 32u + j];
        var p = 0.0;
        if (seen && bitcast<u32>(s) != 0xff800000u) { p = exp(s - mx); }
        Ss[lid * 32u + j] = p;
        sum = sum + p;
      }
      let alpha = select(1.0, exp(mOld - mx), lOld > 0.0);
      ms[lid] = mx;
      ls[lid] = lOld * alpha + sum;
      als[lid] = alpha;
    }
    workgroupBarrier();
    {
      let t = 0u;
    let e = lid;
      let r = e / 2u;
      let d = e % 2u;
      var o = acc[t] * als[r];
      for (var j = 0u; j < 32u; j = j + 1u) { o = o + Ss[r * 32u + j] * KV[j * 2u + d]; }
      acc[t] = o;
    }
    workgroupBarrier();
  }
  {
    let t = 0u;
    let e = lid;
    let r = e / 2u;
    let d = e % 2u;
    let i = q0 + r;
    if (i < params.v[0].x) {
      let lr = ls[r];
      let o = select(acc[t] / lr, vec4<f32>(xfc_nan()), lr == 0.0);
      arena[(params.v[1].x >> 2u) + (yBase + i * 32u + (d * 4u + 0u) * 1u)] = bitcast<u32>(o.x);
      arena[(params.v[1].x >> 2u) + (yBase + i * 32u + (d * 4u + 1u) * 1u)] = bitcast<u32>(o.y);
      arena[(params.v[1].x >> 2u) + (yBase + i * 32u + (d * 4u + 2u) * 1u)] = bitcast<u32>(o.z);
      arena[(params.v[1].x >> 2u) + (yBase + i * 32u + (d * 4u + 3u) * 1u)] = bitcast<u32>(o.w);
    }
  }
}

// ---- webgpu/012-skiplayernormalization-dce35fbc.wgsl
@group(0) @binding(0) var<storage, read_write> arena: array<u32>;
@group(0) @binding(1) var<storage, read> w0: array<u32>;
struct Params { v: array<vec4<u32>, 2> }
@group(0) @binding(2) var<uniform> params: Params;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let row = gid * 64u + lid;
  if (row >= params.v[1].y) { return; }
  let base = row * 32u;
  var s0: f32 = 0.0;
  for (var j = 0u; j < 32u; j = j + 1u) {
    let p = base + j;
    let x = (bitcast<f32>(arena[(params.v[0].x >> 2u) + (p)]) + bitcast<f32>(arena[(params.v[0].y >> 2u) + (p)]));
    s0 = s0 + x;
  }
  let mean = s0 / f32(32u);
  var q0: f32 = 0.0;
  for (var j = 0u; j < 32u; j = j + 1u) {
    let p = base + j;
    let x = (bitcast<f32>(arena[(params.v[0].x >> 2u) + (p)]) + bitcast<f32>(arena[(params.v[0].y >> 2u) + (p)]));
    q0 = q0 + (x - mean) * (x - mean);
  }
  let inv = inverseSqrt(q0 / f32(32u) + 9.999999960041972e-13);
  for (var j = 0u; j < 32u; j = j + 1u) {
    let p = base + j;
    arena[(params.v[0].w >> 2u) + (p)] = bitcast<u32>(((bitcast<f32>(arena[(params.v[0].x >> 2u) + (p)]) + bitcast<f32>(arena[(params.v[0].y >> 2u) + (p)])) - mean) * inv * bitcast<f32>(w0[(params.v[0].z >> 2u) + (j)]) + bitcast<f32>(w0[(params.v[1].x >> 2u) + (j)]));
  }
}

// ---- webgpu/013-linear-7807f95c.wgsl
@group(0) @binding(0) var<storage, read_write> arena: array<u32>;
@group(0) @binding(1) var<storage, read> w0: array<u32>;
struct Params { v: array<vec4<u32>, 2> }
@group(0) @binding(2) var<uniform> params: Params;
var<workgroup> As: array<vec4<f32>, 256>;
var<workgroup> Bs: array<vec4<f32>, 256>;
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
  if (gid >= ((params.v[0].w + 63u) / 64u) * 1u) { return; }
  let tn0 = (gid % 1u) * 64u;
  let tm0 = ((gid / 1u) % ((params.v[0].w + 63u) / 64u)) * 64u;
  let bi = gid / (1u * ((params.v[0].w + 63u) / 64u));
  let tx = lid % 16u;
  let ty = lid / 16u;
  var acc: array<vec4<f32>, 4>;
  for (var k0 = 0u; k0 < 32u; k0 = k0 + 16u) {
    for (var e = lid; e < 256u; e = e + 256u) {
      let vv = e / 4u;
      let kk = (e % 4u) * 4u;
      let gv = tm0 + vv;
      let gk = k0 + kk;
      var x = vec4<f32>(0.0);
      if (gv < params.v[0].w && gk < 32u) { x = vec4<f32>(bitcast<f32>(arena[(params.v[0].x >> 2u) + ((gv) * 32u + gk)]), bitcast<f32>(arena[(params.v[0].x >> 2u) + ((gv) * 32u + gk + 1u)]), bitcast<f32>(arena[(params.v[0].x >> 2u) + ((gv) * 32u + gk + 2u)]), bitcast<f32>(arena[(params.v[0].x >> 2u) + ((gv) * 32u + gk + 3u)])); }
      As[(kk + 0u) * 16u + vv / 4u][vv % 4u] = x.x;
      As[(kk + 1u) * 16u + vv / 4u][vv % 4u] = x.y;
      As[(kk + 2u) * 16u + vv / 4u][vv % 4u] = x.z;
      As[(kk + 3u) * 16u + vv / 4u][vv % 4u] = x.w;
    }
    for (var e = lid; e < 256u; e = e + 256u) {
      let vv = (e % 16u) * 4u;
      let kk = e / 16u;
      let gv = tn0 + vv;
      let gk = k0 + kk;
      var x = vec4<f32>(0.0);
      if (gv < 64u && gk < 32u) { x = vec4<f32>(bitcast<f32>(w0[(params.v[0].y >> 2u) + (((gv) / 8u * 32u + gk) * 8u + (gv) % 8u)]), bitcast<f32>(w0[(params.v[0].y >> 2u) + (((gv + 1u) / 8u * 32u + gk) * 8u + (gv + 1u) % 8u)]), bitcast<f32>(w0[(params.v[0].y >> 2u) + (((gv + 2u) / 8u * 32u + gk) * 8u + (gv + 2u) % 8u)]), bitcast<f32>(w0[(params.v[0].y >> 2u) + (((gv + 3u) / 8u * 32u + gk) * 8u + (gv + 3u) % 8u)])); }
      Bs[e] = x;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk = kk + 1u) {
      let av = As[kk * 16u + ty];
      let bv = Bs[kk * 16u + tx];
      acc[0] = acc[0] + av.x * bv;
      acc[1] = acc[1] + av.y * bv;
      acc[2] = acc[2] + av.z * bv;
      acc[3] = acc[3] + av.w * bv;
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i = i + 1u) {
    let row = tm0 + ty * 4u + i;
    if (row >= params.v[0].w) { break; }
    for (var j = 0u; j < 4u; j = j + 1u) {
      let col = tn0 + tx * 4u + j;
      if (col >= 64u) { break; }
      let e = (bi * params.v[0].w + row) * 64u + col;
      var v = acc[i][j];
      v = v + bitcast<f32>(w0[(params.v[1].x >> 2u) + (col)]);
      v = xfc_gelu(v);
      arena[(params.v[0].z >> 2u) + (e)] = bitcast<u32>(v);
    }
  }
}

// ---- webgpu/014-linear-3a536b2e.wgsl
@group(0) @binding(0) var<storage, read_write> arena: array<u32>;
@group(0) @binding(1) var<storage, read> w0: array<u32>;
struct Params { v: array<vec4<u32>, 2> }
@group(0) @binding(2) var<uniform> params: Params;
var<workgroup> As: array<vec4<f32>, 256>;
var<workgroup> Bs: array<vec4<f32>, 128>;
@compute @workgroup_size(128)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  if (gid >= ((params.v[0].w + 63u) / 64u) * 1u) { return; }
  let tn0 = (gid % 1u) * 32u;
  let tm0 = ((gid / 1u) % ((params.v[0].w + 63u) / 64u)) * 64u;
  let bi = gid / (1u * ((params.v[0].w + 63u) / 64u));
  let tx = lid % 8u;
  let ty = lid / 8u;
  var acc: array<vec4<f32>, 4>;
  for (var k0 = 0u; k0 < 64u; k0 = k0 + 16u) {
    for (var e = lid; e < 256u; e = e + 128u) {
      let vv = e / 4u;
      let kk = (e % 4u) * 4u;
      let gv = tm0 + vv;
      let gk = k0 + kk;
      var x = vec4<f32>(0.0);
      if (gv < params.v[0].w && gk < 64u) { x = vec4<f32>(bitcast<f32>(arena[(params.v[0].x >> 2u) + ((gv) * 64u + gk)]), bitcast<f32>(arena[(params.v[0].x >> 2u) + ((gv) * 64u + gk + 1u)]), bitcast<f32>(arena[(params.v[0].x >> 2u) + ((gv) * 64u + gk + 2u)]), bitcast<f32>(arena[(params.v[0].x >> 2u) + ((gv) * 64u + gk + 3u)])); }
      As[(kk + 0u) * 16u + vv / 4u][vv % 4u] = x.x;
      As[(kk + 1u) * 16u + vv / 4u][vv % 4u] = x.y;
      As[(kk + 2u) * 16u + vv / 4u][vv % 4u] = x.z;
      As[(kk + 3u) * 16u + vv / 4u][vv % 4u] = x.w;
    }
    for (var e = lid; e < 128u; e = e + 128u) {
      let vv = (e % 8u) * 4u;
      let kk = e / 8u;
      let gv = tn0 + vv;
      let gk = k0 + kk;
      var x = vec4<f32>(0.0);
      if (gv < 32u && gk < 64u) { x = vec4<f32>(bitcast<f32>(w0[(params.v[0].y >> 2u) + (((gv) / 8u * 64u + gk) * 8u + (gv) % 8u)]), bitcast<f32>(w0[(params.v[0].y >> 2u) + (((gv + 1u) / 8u * 64u + gk) * 8u + (gv + 1u) % 8u)]), bitcast<f32>(w0[(params.v[0].y >> 2u) + (((gv + 2u) / 8u * 64u + gk) * 8u + (gv + 2u) % 8u)]), bitcast<f32>(w0[(params.v[0].y >> 2u) + (((gv + 3u) / 8u * 64u + gk) * 8u + (gv + 3u) % 8u)])); }
      Bs[e] = x;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk = kk + 1u) {
      let av = As[kk * 16u + ty];
      let bv = Bs[kk * 8u + tx];
      acc[0] = acc[0] + av.x * bv;
      acc[1] = acc[1] + av.y * bv;
      acc[2] = acc[2] + av.z * bv;
      acc[3] = acc[3] + av.w * bv;
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i = i + 1u) {
    let row = tm0 + ty * 4u + i;
    if (row >= params.v[0].w) { break; }
    for (var j = 0u; j < 4u; j = j + 1u) {
      let col = tn0 + tx * 4u + j;
      if (col >= 32u) { break; }
      let e = (bi * params.v[0].w + row) * 32u + col;
      var v = acc[i][j];
      v = v + bitcast<f32>(w0[(params.v[1].x >> 2u) + (col)]);
      arena[(params.v[0].z >> 2u) + (e)] = bitcast<u32>(v);
    }
  }
}

// ---- webgpu/015-gather-7ecf1d30.wgsl
enable f16;
@group(0) @binding(0) var<storage, read_write> harena: array<f16>;
@group(0) @binding(1) var<storage, read> hw0: array<f16>;
@group(0) @binding(2) var<storage, read_write> arena: array<u32>;
struct Params { v: array<vec4<u32>, 2> }
@group(0) @binding(3) var<uniform> params: Params;
fn xfc_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn xfc_to_f16(x: f32) -> f16 {
  if (xfc_isnan(x)) { var bits = 0x7e007e00u; return bitcast<vec2<f16>>(bits).x; }
  return f16(clamp(x, -65504.0, 65504.0));
}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let e = gid * 64u + lid;
  if (e >= params.v[0].y) { return; }
  var c_r = e;
  let c2 = c_r % 32u; c_r = c_r / 32u;
  let c1 = c_r % params.v[1].x; c_r = c_r / params.v[1].x;
  let c0 = c_r;
  let g_v = bitcast<i32>(arena[(params.v[0].w >> 2u) + 2u * ((c0) * params.v[1].x + (c1))]);
  let g = select(u32(g_v), u32(g_v + i32(100u)), g_v < 0i);
  let si = (g) * 32u + (c2);
  let r = bitcast<u32>(f32(hw0[(params.v[0].z >> 2u) + (si)]));
  harena[(params.v[0].x >> 2u) + (e)] = xfc_to_f16(bitcast<f32>(r));
}

// ---- webgpu/016-gather-f38d2765.wgsl
enable f16;
@group(0) @binding(0) var<storage, read_write> harena: array<f16>;
@group(0) @binding(1) var<storage, read> hw0: array<f16>;
@group(0) @binding(2) var<storage, read_write> arena: array<u32>;
struct Params { v: array<vec4<u32>, 2> }
@group(0) @binding(3) var<uniform> params: Params;
fn xfc_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn xfc_to_f16(x: f32) -> f16 {
  if (xfc_isnan(x)) { var bits = 0x7e007e00u; return bitcast<vec2<f16>>(bits).x; }
  return f16(clamp(x, -65504.0, 65504.0));
}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let e = gid * 64u + lid;
  if (e >= params.v[0].y) { return; }
  var c_r = e;
  let c2 = c_r % 32u; c_r = c_r / 32u;
  let c1 = c_r % params.v[1].x; c_r = c_r / params.v[1].x;
  let c0 = c_r;
  let g_v = bitcast<i32>(arena[(params.v[0].w >> 2u) + 2u * ((c0) * params.v[1].x + (c1))]);
  let g = select(u32(g_v), u32(g_v + i32(2u)), g_v < 0i);
  let si = (g) * 32u + (c2);
  let r = bitcast<u32>(f32(hw0[(params.v[0].z >> 2u) + (si)]));
  harena[(params.v[0].x >> 2u) + (e)] = xfc_to_f16(bitcast<f32>(r));
}

// ---- webgpu/017-add-f89a27e6.wgsl
enable f16;
@group(0) @binding(0) var<storage, read_write> harena: array<f16>;
struct Params { v: array<vec4<u32>, 1> }
@group(0) @binding(1) var<uniform> params: Params;
fn xfc_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn xfc_to_f16(x: f32) -> f16 {
  if (xfc_isnan(x)) { var bits = 0x7e007e00u; return bitcast<vec2<f16>>(bits).x; }
  return f16(clamp(x, -65504.0, 65504.0));
}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let e0 = gid * 64u + lid;
  if (e0 >= params.v[0].w) { return; }
  {
  let e = e0;
  let v = (f32(harena[(params.v[0].y >> 2u) + (e)]) + f32(harena[(params.v[0].z >> 2u) + (e)]));
  harena[(params.v[0].x >> 2u) + (e)] = xfc_to_f16(v);
  }
}

// ---- webgpu/018-gather-c61fbf72.wgsl
enable f16;
@group(0) @binding(0) var<storage, read_write> harena: array<f16>;
@group(0) @binding(1) var<storage, read> hw0: array<f16>;
@group(0) @binding(2) var<storage, read_write> arena: array<u32>;
struct Params { v: array<vec4<u32>, 2> }
@group(0) @binding(3) var<uniform> params: Params;
fn xfc_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn xfc_to_f16(x: f32) -> f16 {
  if (xfc_isnan(x)) { var bits = 0x7e007e00u; return bitcast<vec2<f16>>(bits).x; }
  return f16(clamp(x, -65504.0, 65504.0));
}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let e = gid * 64u + lid;
  if (e >= params.v[0].y) { return; }
  var c_r = e;
  let c2 = c_r % 32u; c_r = c_r / 32u;
  let c1 = c_r % params.v[1].x; c_r = c_r / params.v[1].x;
  let c0 = c_r;
  let g_v = bitcast<i32>(arena[(params.v[0].w >> 2u) + 2u * ((c1))]);
  let g = select(u32(g_v), u32(g_v + i32(160u)), g_v < 0i);
  let si = (g) * 32u + (c2);
  let r = bitcast<u32>(f32(hw0[(params.v[0].z >> 2u) + (si)]));
  harena[(params.v[0].x >> 2u) + (e)] = xfc_to_f16(bitcast<f32>(r));
}

// ---- webgpu/019-skiplayernormalization-ed619801.wgsl
enable f16;
@group(0) @binding(0) var<storage, read_write> harena: array<f16>;
@group(0) @binding(1) var<storage, read> hw0: array<f16>;
struct Params { v: array<vec4<u32>, 2> }
@group(0) @binding(2) var<uniform> params: Params;
fn xfc_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn xfc_to_f16(x: f32) -> f16 {
  if (xfc_isnan(x)) { var bits = 0x7e007e00u; return bitcast<vec2<f16>>(bits).x; }
  return f16(clamp(x, -65504.0, 65504.0));
}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let row = gid * 64u + lid;
  if (row >= params.v[1].z) { return; }
  let base = row * 32u;
  var s0: f32 = 0.0;
  for (var j = 0u; j < 32u; j = j + 1u) {
    let p = base + j;
    let x = (f32(harena[(params.v[0].x >> 2u) + (p)]) + f32(harena[(params.v[0].y >> 2u) + ((row % params.v[1].y) * 32u + j)]));
    s0 = s0 + x;
  }
  let mean = s0 / f32(32u);
  var q0: f32 = 0.0;
  for (var j = 0u; j < 32u; j = j + 1u) {
    let p = base + j;
    let x = (f32(harena[(params.v[0].x >> 2u) + (p)]) + f32(harena[(params.v[0].y >> 2u) + ((row % params.v[1].y) * 32u + j)]));
    q0 = q0 + (x - mean) * (x - mean);
  }
  let inv = inverseSqrt(q0 / f32(32u) + 9.999999960041972e-13);
  for (var j = 0u; j < 32u; j = j + 1u) {
    let p = base + j;
    harena[(params.v[0].w >> 2u) + (p)] = xfc_to_f16(((f32(harena[(params.v[0].x >> 2u) + (p)]) + f32(harena[(params.v[0].y >> 2u) + ((row % params.v[1].y) * 32u + j)])) - mean) * inv * f32(hw0[(params.v[0].z >> 2u) + (j)]) + f32(hw0[(params.v[1].x >> 2u) + (j)]));
  }
}

// ---- webgpu/020-cast-a40ae6ec.wgsl
enable f16;
@group(0) @binding(0) var<storage, read_write> harena: array<f16>;
@group(0) @binding(1) var<storage, read_write> arena: array<u32>;
struct Params { v: array<vec4<u32>, 1> }
@group(0) @binding(2) var<uniform> params: Params;
fn xfc_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn xfc_to_f16(x: f32) -> f16 {
  if (xfc_isnan(x)) { var bits = 0x7e007e00u; return bitcast<vec2<f16>>(bits).x; }
  return f16(clamp(x, -65504.0, 65504.0));
}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let e0 = gid * 64u + lid;
  if (e0 >= params.v[0].z) { return; }
  {
  let e = e0;
  let v = f32(bitcast<i32>(arena[(params.v[0].y >> 2u) + 2u * (e)]));
  harena[(params.v[0].x >> 2u) + (e)] = xfc_to_f16(v);
  }
}

// ---- webgpu/021-sub-cb05c636.wgsl
enable f16;
@group(0) @binding(0) var<storage, read_write> harena: array<f16>;
@group(0) @binding(1) var<storage, read> hw0: array<f16>;
struct Params { v: array<vec4<u32>, 1> }
@group(0) @binding(2) var<uniform> params: Params;
fn xfc_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn xfc_to_f16(x: f32) -> f16 {
  if (xfc_isnan(x)) { var bits = 0x7e007e00u; return bitcast<vec2<f16>>(bits).x; }
  return f16(clamp(x, -65504.0, 65504.0));
}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let e0 = gid * 64u + lid;
  if (e0 >= params.v[0].w) { return; }
  {
  let e = e0;
  let v = (f32(hw0[(params.v[0].y >> 2u) + (0u)]) - f32(harena[(params.v[0].z >> 2u) + (e)]));
  harena[(params.v[0].x >> 2u) + (e)] = xfc_to_f16(v);
  }
}

// ---- webgpu/022-mul-851f3c13.wgsl
enable f16;
@group(0) @binding(0) var<storage, read_write> harena: array<f16>;
@group(0) @binding(1) var<storage, read> hw0: array<f16>;
struct Params { v: array<vec4<u32>, 1> }
@group(0) @binding(2) var<uniform> params: Params;
fn xfc_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn xfc_to_f16(x: f32) -> f16 {
  if (xfc_isnan(x)) { var bits = 0x7e007e00u; return bitcast<vec2<f16>>(bits).x; }
  return f16(clamp(x, -65504.0, 65504.0));
}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let e0 = gid * 64u + lid;
  if (e0 >= params.v[0].w) { return; }
  {
  let e = e0;
  let v = (f32(harena[(params.v[0].y >> 2u) + (e)]) * f32(hw0[(params.v[0].z >> 2u) + (0u)]));
  harena[(params.v[0].x >> 2u) + (e)] = xfc_to_f16(v);
  }
}

// ---- webgpu/023-linear-aedea8fe.wgsl
enable f16;
@group(0) @binding(0) var<storage, read_write> harena: array<f16>;
@group(0) @binding(1) var<storage, read> hw0: array<f16>;
struct Params { v: array<vec4<u32>, 2> }
@group(0) @binding(2) var<uniform> params: Params;
var<workgroup> As: array<vec4<f32>, 256>;
var<workgroup> Bs: array<vec4<f32>, 128>;
fn xfc_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn xfc_to_f16(x: f32) -> f16 {
  if (xfc_isnan(x)) { var bits = 0x7e007e00u; return bitcast<vec2<f16>>(bits).x; }
  return f16(clamp(x, -65504.0, 65504.0));
}
@compute @workgroup_size(128)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  if (gid >= ((params.v[0].w + 63u) / 64u) * 1u) { return; }
  let tn0 = (gid % 1u) * 32u;
  let tm0 = ((gid / 1u) % ((params.v[0].w + 63u) / 64u)) * 64u;
  let bi = gid / (1u * ((params.v[0].w + 63u) / 64u));
  let tx = lid % 8u;
  let ty = lid / 8u;
  var acc: array<vec4<f32>, 4>;
  for (var k0 = 0u; k0 < 32u; k0 = k0 + 16u) {
    for (var e = lid; e < 256u; e = e + 128u) {
      let vv = e / 4u;
      let kk = (e % 4u) * 4u;
      let gv = tm0 + vv;
      let gk = k0 + kk;
      var x = vec4<f32>(0.0);
      if (gv < params.v[0].w && gk < 32u) { x = vec4<f32>(f32(harena[(params.v[0].x >> 2u) + ((gv) * 32u + gk)]), f32(harena[(params.v[0].x >> 2u) + ((gv) * 32u + gk + 1u)]), f32(harena[(params.v[0].x >> 2u) + ((gv) * 32u + gk + 2u)]), f32(harena[(params.v[0].x >> 2u) + ((gv) * 32u + gk + 3u)])); }
      As[(kk + 0u) * 16u + vv / 4u][vv % 4u] = x.x;
      As[(kk + 1u) * 16u + vv / 4u][vv % 4u] = x.y;
      As[(kk + 2u) * 16u + vv / 4u][vv % 4u] = x.z;
      As[(kk + 3u) * 16u + vv / 4u][vv % 4u] = x.w;
    }
    for (var e = lid; e < 128u; e = e + 128u) {
      let vv = (e % 8u) * 4u;
      let kk = e / 8u;
      let gv = tn0 + vv;
      let gk = k0 + kk;
      var x = vec4<f32>(0.0);
      if (gv < 32u && gk < 32u) { x = vec4<f32>(f32(hw0[(params.v[0].y >> 2u) + (((gv) / 8u * 32u + gk) * 8u + (gv) % 8u)]), f32(hw0[(params.v[0].y >> 2u) + (((gv + 1u) / 8u * 32u + gk) * 8u + (gv + 1u) % 8u)]), f32(hw0[(params.v[0].y >> 2u) + (((gv + 2u) / 8u * 32u + gk) * 8u + (gv + 2u) % 8u)]), f32(hw0[(params.v[0].y >> 2u) + (((gv + 3u) / 8u * 32u + gk) * 8u + (gv + 3u) % 8u)])); }
      Bs[e] = x;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk = kk + 1u) {
      let av = As[kk * 16u + ty];
      let bv = Bs[kk * 8u + tx];
      acc[0] = acc[0] + av.x * bv;
      acc[1] = acc[1] + av.y * bv;
      acc[2] = acc[2] + av.z * bv;
      acc[3] = acc[3] + av.w * bv;
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i = i + 1u) {
    let row = tm0 + ty * 4u + i;
    if (row >= params.v[0].w) { break; }
    for (var j = 0u; j < 4u; j = j + 1u) {
      let col = tn0 + tx * 4u + j;
      if (col >= 32u) { break; }
      let e = (bi * params.v[0].w + row) * 32u + col;
      var v = acc[i][j];
      v = v + f32(hw0[(params.v[1].x >> 2u) + (col)]);
      harena[(params.v[0].z >> 2u) + (e)] = xfc_to_f16(v);
    }
  }
}

// ---- webgpu/024-attention-3a3b23c3.wgsl
enable f16;
@group(0) @binding(0) var<storage, read_write> harena: array<f16>;
struct Params { v: array<vec4<u32>, 2> }
@group(0) @binding(1) var<uniform> params: Params;
var<workgroup> Qs: array<vec4<f32>, 64>;
var<workgroup> KV: array<vec4<f32>, 64>;
var<workgroup> Ss: array<f32, 1024>;
var<workgroup> ms: array<f32, 32>;
var<workgroup> ls: array<f32, 32>;
var<workgroup> als: array<f32, 32>;
fn xfc_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn xfc_nan() -> f32 { var bits = 0x7fc00000u; return bitcast<f32>(bits); }
fn xfc_to_f16(x: f32) -> f16 {
  if (xfc_isnan(x)) { var bits = 0x7e007e00u; return bitcast<vec2<f16>>(bits).x; }
  return f16(clamp(x, -65504.0, 65504.0));
}
fn xfc_inf() -> f32 { var bits = 0x7f800000u; return bitcast<f32>(bits); }
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  if (gid >= params.v[1].z * ((params.v[0].x + 31u) / 32u)) { return; }
  let negInf = -xfc_inf();
  let q0 = (gid % ((params.v[0].x + 31u) / 32u)) * 32u;
  let l = gid / ((params.v[0].x + 31u) / 32u);
  var ld_r = l;
  let ld1 = ld_r % 4u; ld_r = ld_r / 4u;
  let ld0 = ld_r;
  let qBase = ld0 * params.v[1].y + ld1 * 8u;
  let kBase = ld0 * params.v[1].y + ld1 * 8u;
  let vBase = ld0 * params.v[1].y + ld1 * 8u;
  let yBase = ld0 * params.v[1].y + ld1 * 8u;
  {
    let t = 0u;
    let e = lid;
    let r = e / 2u;
    let i = q0 + r;
    var x = vec4<f32>(0.0);
    if (i < params.v[0].x) { x = vec4<f32>(f32(harena[(params.v[0].y >> 2u) + (qBase + (i) * 32u + (e % 2u * 4u + 0u) * 1u)]), f32(harena[(params.v[0].y >> 2u) + (qBase + (i) * 32u + (e % 2u * 4u + 1u) * 1u)]), f32(harena[(params.v[0].y >> 2u) + (qBase + (i) * 32u + (e % 2u * 4u + 2u) * 1u)]), f32(harena[(params.v[0].y >> 2u) + (qBase + (i) * 32u + (e % 2u * 4u + 3u) * 1u)])) * 0.3535533845424652; }
    Qs[e] = x;
  }
  if (lid < 32u) { ms[lid] = 0.0; ls[lid] = 0.0; }
  var acc: array<vec4<f32>, 1>;
  let kEnd = params.v[0].x;
  workgroupBarrier();
  for (var k0 = 0u; k0 < kEnd; k0 = k0 + 32u) {
    {
      let t = 0u;
    let e = lid;
      let j = e / 2u;
      let d = e % 2u;
      var x = vec4<f32>(0.0);
      if (k0 + j < params.v[0].x) { x = vec4<f32>(f32(harena[(params.v[0].z >> 2u) + (kBase + (k0 + j) * 32u + (d * 4u + 0u) * 1u)]), f32(harena[(params.v[0].z >> 2u) + (kBase + (k0 + j) * 32u + (d * 4u + 1u) * 1u)]), f32(harena[(params.v[0].z >> 2u) + (kBase + (k0 + j) * 32u + (d * 4u + 2u) * 1u)]), f32(harena[(params.v[0].z >> 2u) + (kBase + (k0 + j) * 32u + (d * 4u + 3u) * 1u)])); }
      KV[j * 2u + d] = x;
    }
    workgroupBarrier();
    for (var t = 0u; t < 16u; t = t + 1u) {
      let e = lid + t * 64u;
      let r = e / 32u;
      let j = e % 32u;
      let i = q0 + r;
      let kj = k0 + j;
      var s = 0.0;
      for (var d = 0u; d < 2u; d = d + 1u) { s = s + dot(Qs[r * 2u + d], KV[j * 2u + d]); }
      var dropped = kj >= params.v[0].x || i >= params.v[0].x;
      if (!dropped) {
        let mv = f32(harena[(params.v[1].w >> 2u) + (ld0 * params.v[0].x + kj)]);
        dropped = bitcast<u32>(mv) == 0xff800000u;
        s = s + mv;
      }
      Ss[e] = select(s, negInf, dropped);
    }
    workgroupBarrier();
    {
      let t = 0u;
    let e = lid;
      let j = e / 2u;
      var x = vec4<f32>(0.0);
      if (k0 + j < params.v[0].x) { x = vec4<f32>(f32(harena[(params.v[0].w >> 2u) + (vBase + (k0 + j) * 32u + (e % 2u * 4u + 0u) * 1u)]), f32(harena[(params.v[0].w >> 2u) + (vBase + (k0 + j) * 32u + (e % 2u * 4u + 1u) * 1u)]), f32(harena[(params.v[0].w >> 2u) + (vBase + (k0 + j) * 32u + (e % 2u * 4u + 2u) * 1u)]), f32(harena[(params.v[0].w >> 2u) + (vBase + (k0 + j) * 32u + (e % 2u * 4u + 3u) * 1u)])); }
      KV[e] = x;
    }
    if (lid < 32u) {
      let mOld = ms[lid];
      let lOld = ls[lid];
      var mx = mOld;
      var seen = lOld > 0.0;
      for (var j = 0u; j < 32u; j = j + 1u) {
        let s = Ss[lid * 32u + j];
        if (bitcast<u32>(s) != 0xff800000u) { mx = select(s, max(mx, s), seen); seen = true; }
      }
      var sum = 0.0;
      for (var j = 0u; j < 32u; j = j + 1u) {
        let s = Ss[lid * 32u + j];
        var p = 0.0;
        if (seen && bitcast<u32>(s) != 0xff800000u) { p = exp(s - mx); }
        Ss[lid * 32u + j] = p;
        sum = sum + p;
      }
      let alpha = select(1.0, exp(mOld - mx), lOld > 0.0);
      ms[lid] = mx;
      ls[lid] = lOld * alpha + sum;
      als[lid] = alpha;
    }
    workgroupBarrier();
    {
      let t = 0u;
    let e = lid;
      let r = e / 2u;
      let d = e % 2u;
      var o = acc[t] * als[r];
      for (var j = 0u; j < 32u; j = j + 1u) { o = o + Ss[r * 32u + j] * KV[j * 2u + d]; }
      acc[t] = o;
    }
    workgroupBarrier();
  }
  {
    let t = 0u;
    let e = lid;
    let r = e / 2u;
    let d = e % 2u;
    let i = q0 + r;
    if (i < params.v[0].x) {
      let lr = ls[r];
      let o = select(acc[t] / lr, vec4<f32>(xfc_nan()), lr == 0.0);
      harena[(params.v[1].x >> 2u) + (yBase + i * 32u + (d * 4u + 0u) * 1u)] = xfc_to_f16(o.x);
      harena[(params.v[1].x >> 2u) + (yBase + i * 32u + (d * 4u + 1u) * 1u)] = xfc_to_f16(o.y);
      harena[(params.v[1].x >> 2u) + (yBase + i * 32u + (d * 4u + 2u) * 1u)] = xfc_to_f16(o.z);
      harena[(params.v[1].x >> 2u) + (yBase + i * 32u + (d * 4u + 3u) * 1u)] = xfc_to_f16(o.w);
    }
  }
}

// ---- webgpu/025-skiplayernormalization-a63f15f3.wgsl
enable f16;
@group(0) @binding(0) var<storage, read_write> harena: array<f16>;
@group(0) @binding(1) var<storage, read> hw0: array<f16>;
struct Params { v: array<vec4<u32>, 2> }
@group(0) @binding(2) var<uniform> params: Params;
fn xfc_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn xfc_to_f16(x: f32) -> f16 {
  if (xfc_isnan(x)) { var bits = 0x7e007e00u; return bitcast<vec2<f16>>(bits).x; }
  return f16(clamp(x, -65504.0, 65504.0));
}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  let row = gid * 64u + lid;
  if (row >= params.v[1].y) { return; }
  let base = row * 32u;
  var s0: f32 = 0.0;
  for (var j = 0u; j < 32u; j = j + 1u) {
    let p = base + j;
    let x = (f32(harena[(params.v[0].x >> 2u) + (p)]) + f32(harena[(params.v[0].y >> 2u) + (p)]));
    s0 = s0 + x;
  }
  let mean = s0 / f32(32u);
  var q0: f32 = 0.0;
  for (var j = 0u; j < 32u; j = j + 1u) {
    let p = base + j;
    let x = (f32(harena[(params.v[0].x >> 2u) + (p)]) + f32(harena[(params.v[0].y >> 2u) + (p)]));
    q0 = q0 + (x - mean) * (x - mean);
  }
  let inv = inverseSqrt(q0 / f32(32u) + 9.999999960041972e-13);
  for (var j = 0u; j < 32u; j = j + 1u) {
    let p = base + j;
    harena[(params.v[0].w >> 2u) + (p)] = xfc_to_f16(((f32(harena[(params.v[0].x >> 2u) + (p)]) + f32(harena[(params.v[0].y >> 2u) + (p)])) - mean) * inv * f32(hw0[(params.v[0].z >> 2u) + (j)]) + f32(hw0[(params.v[1].x >> 2u) + (j)]));
  }
}

// ---- webgpu/026-linear-7841dbbb.wgsl
enable f16;
@group(0) @binding(0) var<storage, read_write> harena: array<f16>;
@group(0) @binding(1) var<storage, read> hw0: array<f16>;
struct Params { v: array<vec4<u32>, 2> }
@group(0) @binding(2) var<uniform> params: Params;
var<workgroup> As: array<vec4<f32>, 256>;
var<workgroup> Bs: array<vec4<f32>, 256>;
fn xfc_erf(x: f32) -> f32 {
  // Abramowitz-Stegun 7.1.26 is too coarse; use erf(x) = sign(x)(1 - t·exp(-x²+P(t))) (Numerical Recipes erfc, |err| < 1.2e-7).
  let z = abs(x);
  let t = 1.0 / (1.0 + 0.5 * z);
  let r = t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
          t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return select(1.0 - r, r - 1.0, x < 0.0);
}
fn xfc_gelu(x: f32) -> f32 { return 0.5 * x * (1.0 + xfc_erf(x * 0.70710678118654752)); }
fn xfc_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn xfc_to_f16(x: f32) -> f16 {
  if (xfc_isnan(x)) { var bits = 0x7e007e00u; return bitcast<vec2<f16>>(bits).x; }
  return f16(clamp(x, -65504.0, 65504.0));
}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  if (gid >= ((params.v[0].w + 63u) / 64u) * 1u) { return; }
  let tn0 = (gid % 1u) * 64u;
  let tm0 = ((gid / 1u) % ((params.v[0].w + 63u) / 64u)) * 64u;
  let bi = gid / (1u * ((params.v[0].w + 63u) / 64u));
  let tx = lid % 16u;
  let ty = lid / 16u;
  var acc: array<vec4<f32>, 4>;
  for (var k0 = 0u; k0 < 32u; k0 = k0 + 16u) {
    for (var e = lid; e < 256u; e = e + 256u) {
      let vv = e / 4u;
      let kk = (e % 4u) * 4u;
      let gv = tm0 + vv;
      let gk = k0 + kk;
      var x = vec4<f32>(0.0);
      if (gv < params.v[0].w && gk < 32u) { x = vec4<f32>(f32(harena[(params.v[0].x >> 2u) + ((gv) * 32u + gk)]), f32(harena[(params.v[0].x >> 2u) + ((gv) * 32u + gk + 1u)]), f32(harena[(params.v[0].x >> 2u) + ((gv) * 32u + gk + 2u)]), f32(harena[(params.v[0].x >> 2u) + ((gv) * 32u + gk + 3u)])); }
      As[(kk + 0u) * 16u + vv / 4u][vv % 4u] = x.x;
      As[(kk + 1u) * 16u + vv / 4u][vv % 4u] = x.y;
      As[(kk + 2u) * 16u + vv / 4u][vv % 4u] = x.z;
      As[(kk + 3u) * 16u + vv / 4u][vv % 4u] = x.w;
    }
    for (var e = lid; e < 256u; e = e + 256u) {
      let vv = (e % 16u) * 4u;
      let kk = e / 16u;
      let gv = tn0 + vv;
      let gk = k0 + kk;
      var x = vec4<f32>(0.0);
      if (gv < 64u && gk < 32u) { x = vec4<f32>(f32(hw0[(params.v[0].y >> 2u) + (((gv) / 8u * 32u + gk) * 8u + (gv) % 8u)]), f32(hw0[(params.v[0].y >> 2u) + (((gv + 1u) / 8u * 32u + gk) * 8u + (gv + 1u) % 8u)]), f32(hw0[(params.v[0].y >> 2u) + (((gv + 2u) / 8u * 32u + gk) * 8u + (gv + 2u) % 8u)]), f32(hw0[(params.v[0].y >> 2u) + (((gv + 3u) / 8u * 32u + gk) * 8u + (gv + 3u) % 8u)])); }
      Bs[e] = x;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk = kk + 1u) {
      let av = As[kk * 16u + ty];
      let bv = Bs[kk * 16u + tx];
      acc[0] = acc[0] + av.x * bv;
      acc[1] = acc[1] + av.y * bv;
      acc[2] = acc[2] + av.z * bv;
      acc[3] = acc[3] + av.w * bv;
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i = i + 1u) {
    let row = tm0 + ty * 4u + i;
    if (row >= params.v[0].w) { break; }
    for (var j = 0u; j < 4u; j = j + 1u) {
      let col = tn0 + tx * 4u + j;
      if (col >= 64u) { break; }
      let e = (bi * params.v[0].w + row) * 64u + col;
      var v = acc[i][j];
      v = v + f32(hw0[(params.v[1].x >> 2u) + (col)]);
      v = xfc_gelu(v);
      harena[(params.v[0].z >> 2u) + (e)] = xfc_to_f16(v);
    }
  }
}

// ---- webgpu/027-linear-78c78f8d.wgsl
enable f16;
@group(0) @binding(0) var<storage, read_write> harena: array<f16>;
@group(0) @binding(1) var<storage, read> hw0: array<f16>;
struct Params { v: array<vec4<u32>, 2> }
@group(0) @binding(2) var<uniform> params: Params;
var<workgroup> As: array<vec4<f32>, 256>;
var<workgroup> Bs: array<vec4<f32>, 128>;
fn xfc_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn xfc_to_f16(x: f32) -> f16 {
  if (xfc_isnan(x)) { var bits = 0x7e007e00u; return bitcast<vec2<f16>>(bits).x; }
  return f16(clamp(x, -65504.0, 65504.0));
}
@compute @workgroup_size(128)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
  if (gid >= ((params.v[0].w + 63u) / 64u) * 1u) { return; }
  let tn0 = (gid % 1u) * 32u;
  let tm0 = ((gid / 1u) % ((params.v[0].w + 63u) / 64u)) * 64u;
  let bi = gid / (1u * ((params.v[0].w + 63u) / 64u));
  let tx = lid % 8u;
  let ty = lid / 8u;
  var acc: array<vec4<f32>, 4>;
  for (var k0 = 0u; k0 < 64u; k0 = k0 + 16u) {
    for (var e = lid; e < 256u; e = e + 128u) {
      let vv = e / 4u;
      let kk = (e % 4u) * 4u;
      let gv = tm0 + vv;
      let gk = k0 + kk;
      var x = vec4<f32>(0.0);
      if (gv < params.v[0].w && gk < 64u) { x = vec4<f32>(f32(harena[(params.v[0].x >> 2u) + ((gv) * 64u + gk)]), f32(harena[(params.v[0].x >> 2u) + ((gv) * 64u + gk + 1u)]), f32(harena[(params.v[0].x >> 2u) + ((gv) * 64u + gk + 2u)]), f32(harena[(params.v[0].x >> 2u) + ((gv) * 64u + gk + 3u)])); }
      As[(kk + 0u) * 16u + vv / 4u][vv % 4u] = x.x;
      As[(kk + 1u) * 16u + vv / 4u][vv % 4u] = x.y;
      As[(kk + 2u) * 16u + vv / 4u][vv % 4u] = x.z;
      As[(kk + 3u) * 16u + vv / 4u][vv % 4u] = x.w;
    }
    for (var e = lid; e < 128u; e = e + 128u) {
      let vv = (e % 8u) * 4u;
      let kk = e / 8u;
      let gv = tn0 + vv;
      let gk = k0 + kk;
      var x = vec4<f32>(0.0);
      if (gv < 32u && gk < 64u) { x = vec4<f32>(f32(hw0[(params.v[0].y >> 2u) + (((gv) / 8u * 64u + gk) * 8u + (gv) % 8u)]), f32(hw0[(params.v[0].y >> 2u) + (((gv + 1u) / 8u * 64u + gk) * 8u + (gv + 1u) % 8u)]), f32(hw0[(params.v[0].y >> 2u) + (((gv + 2u) / 8u * 64u + gk) * 8u + (gv + 2u) % 8u)]), f32(hw0[(params.v[0].y >> 2u) + (((gv + 3u) / 8u * 64u + gk) * 8u + (gv + 3u) % 8u)])); }
      Bs[e] = x;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk = kk + 1u) {
      let av = As[kk * 16u + ty];
      let bv = Bs[kk * 8u + tx];
      acc[0] = acc[0] + av.x * bv;
      acc[1] = acc[1] + av.y * bv;
      acc[2] = acc[2] + av.z * bv;
      acc[3] = acc[3] + av.w * bv;
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i = i + 1u) {
    let row = tm0 + ty * 4u + i;
    if (row >= params.v[0].w) { break; }
    for (var j = 0u; j < 4u; j = j + 1u) {
      let col = tn0 + tx * 4u + j;
      if (col >= 32u) { break; }
      let e = (bi * params.v[0].w + row) * 32u + col;
      var v = acc[i][j];
      v = v + f32(hw0[(params.v[1].x >> 2u) + (col)]);
      harena[(params.v[0].z >> 2u) + (e)] = xfc_to_f16(v);
    }
  }
}
