// The PyTorch fixtures that suites on slow devices (SwiftShader, lavapipe, headless Chromium) run: every model, labelled, and its cheapest cases.

import { type FixtureCase, type FixtureModel, ZOO, fixtureCases, fixtureModels } from '../fixtures.js';

/** A fixture or zoo model, its data root (undefined: fixtures/) and a label: `bert-opset17`, `zoo/llama`. */
export interface LabelledModel extends FixtureModel {
  root: string | undefined;
  label: string;
}

/** Every committed PyTorch fixture, then every zoo model. */
export function labelledModels(): LabelledModel[] {
  return [
    ...fixtureModels().map((m) => ({ ...m, root: undefined, label: `${m.model}-opset${m.opset}` })),
    ...fixtureModels(ZOO).map((m) => ({ ...m, root: ZOO, label: `zoo/${m.model}` })),
  ];
}

/** The `count` cases of a model with the fewest elements in `inputs` (a proxy for their cost), fewest first. */
export function smallestCases(model: string, root: string | undefined, inputs: readonly string[], count = 1): FixtureCase[] {
  const size = (c: FixtureCase): number => inputs.reduce((n, name) => n + (c.tensors[name]?.size ?? 0), 0);
  return fixtureCases(model, root).sort((a, b) => size(a) - size(b)).slice(0, count);
}
