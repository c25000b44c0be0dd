import { describe, expect, it } from 'vitest';
import { StateHarness } from './test-harness.ts';
import type { ModelVersion, Subject } from './types.ts';

const version = (parent: string | null, subjects: string[] = [], mergeMethod = 'orthogonal') => ({
  type: 'registerModelVersion',
  parent,
  manifestKey: `manifests/${parent ?? 'base'}.json`,
  subjects,
  mergeMethod,
});
const reserve = (token: string, owner = 'alice') => ({ type: 'reserveSubject', token, classWord: 'dog', owner });

describe('registerModelVersion', () => {
  it('numbers versions sequentially, makes each one current, and marks its new subjects merged', () => {
    const h = new StateHarness();
    expect(h.ok<ModelVersion>(version(null, [], 'none'))).toEqual({
      id: 'v1',
      parent: null,
      manifestKey: 'manifests/base.json',
      subjects: [],
      mergeMethod: 'none',
      slots: {},
      mergeJobId: null,
      createdAt: h.now,
    });
    h.ok(reserve('zxq'));
    h.ok({ type: 'updateSubject', token: 'zxq', status: 'training' });
    expect(h.ok<ModelVersion>(version('v1', ['zxq'])).id).toBe('v2');
    expect(h.query({ type: 'currentModel' })).toMatchObject({ id: 'v2', parent: 'v1', subjects: ['zxq'] });
    expect(h.query({ type: 'getSubject', token: 'zxq' })).toMatchObject({ status: 'merged', versionId: 'v2' });
    // A later version that still contains zxq keeps the version that first merged it.
    h.ok(version('v2', ['zxq']));
    expect(h.query({ type: 'getSubject', token: 'zxq' })).toMatchObject({ versionId: 'v2' });
    expect(h.query({ type: 'listModelVersions' })).toMatchObject({ currentVersion: 'v3', versions: [{ id: 'v1' }, { id: 'v2' }, { id: 'v3' }] });
  });

  it('refuses a parent that is not the current version, so racing merges cannot both commit', () => {
    const h = new StateHarness();
    expect(h.refused(version('v1'))).toMatchObject({ code: 'not_found', message: expect.stringMatching(/no model version v1 \(no version has been registered yet\)/) });
    h.ok(version(null, [], 'none'));
    h.ok(version('v1'));
    expect(h.refused(version('v1'))).toEqual({
      code: 'failed_precondition',
      message: 'parent v1 is not the current version v2 (another merge or a rollback committed first); redo the merge onto v2',
    });
    expect(h.refused(version(null))).toMatchObject({ code: 'failed_precondition', message: expect.stringMatching(/set parent to v2/) });
    expect(h.query({ type: 'summary' })).toMatchObject({ modelVersions: 2, currentVersion: 'v2' });
  });

  it('refuses subjects that are not registered or failed training', () => {
    const h = new StateHarness();
    h.ok(version(null, [], 'none'));
    expect(h.refused(version('v1', ['ghost']))).toMatchObject({ code: 'not_found', message: expect.stringMatching(/reserve it/) });
    h.ok(reserve('zxq'));
    h.ok({ type: 'updateSubject', token: 'zxq', status: 'failed' });
    expect(h.refused(version('v1', ['zxq']))).toMatchObject({ code: 'failed_precondition', message: expect.stringMatching(/failed training/) });
    expect(h.refused(version('v1', ['zxq', 'zxq']))).toMatchObject({ code: 'invalid', message: expect.stringMatching(/subjects: lists a subject more than once/) });
  });
});

describe('rollbackModel', () => {
  it('makes an earlier version current; the next version builds on it with a new id', () => {
    const h = new StateHarness();
    h.ok(version(null, [], 'none'));
    h.ok(version('v1'));
    expect(h.ok({ type: 'rollbackModel', versionId: 'v1' })).toEqual({ currentVersion: 'v1', previousVersion: 'v2' });
    expect(h.machine.currentVersion).toBe('v1');
    expect(h.ok<ModelVersion>(version('v1'))).toMatchObject({ id: 'v3', parent: 'v1' });
  });

  it('refuses unknown versions and the version that is already current', () => {
    const h = new StateHarness();
    h.ok(version(null, [], 'none'));
    expect(h.refused({ type: 'rollbackModel', versionId: 'v7' })).toMatchObject({ code: 'not_found', message: expect.stringMatching(/the latest is v1/) });
    expect(h.refused({ type: 'rollbackModel', versionId: 'v1' })).toMatchObject({ code: 'failed_precondition', message: expect.stringMatching(/already the current version/) });
    expect(h.refused({ type: 'rollbackModel', versionId: 'latest' })).toMatchObject({ code: 'invalid', message: expect.stringMatching(/looks like v12/) });
  });
});

describe('reserveSubject', () => {
  it('reserves a token once', () => {
    const h = new StateHarness();
    expect(h.ok<Subject>(reserve('zxq'))).toEqual({
      token: 'zxq',
      classWord: 'dog',
      owner: 'alice',
      status: 'reserved',
      versionId: null,
      slot: null,
      trainJobId: null,
      loraKey: null,
      createdAt: h.now,
      updatedAt: h.now,
    });
    expect(h.refused(reserve('zxq', 'bob'))).toEqual({
      code: 'already_exists',
      message: 'the token "zxq" is already taken (owner alice, reserved); choose another token',
    });
  });

  it('lets the owner reserve a token again after its training failed, but nobody else', () => {
    const h = new StateHarness();
    h.ok(reserve('zxq'));
    h.ok({ type: 'updateSubject', token: 'zxq', status: 'failed' });
    expect(h.refused(reserve('zxq', 'bob')).code).toBe('already_exists');
    expect(h.ok<Subject>(reserve('zxq'))).toMatchObject({ status: 'reserved', owner: 'alice' });
  });

  it('explains what a valid token and class word look like', () => {
    const h = new StateHarness();
    const refusal = h.refused({ type: 'reserveSubject', token: 'Zxq!', classWord: '', owner: 'alice' });
    expect(refusal.code).toBe('invalid');
    expect(refusal.message).toMatch(/token: a subject token is 2-32 lowercase letters, digits, "_" or "-"/);
    expect(refusal.message).toMatch(/classWord: a class word is 1-32/);
  });
});

describe('updateSubject', () => {
  it('moves a subject through training to merged in a version', () => {
    const h = new StateHarness();
    h.ok(version(null, [], 'none'));
    h.ok(reserve('zxq'));
    expect(h.ok<Subject>({ type: 'updateSubject', token: 'zxq', status: 'training' }).status).toBe('training');
    expect(h.ok<Subject>({ type: 'updateSubject', token: 'zxq', status: 'merged', versionId: 'v1' })).toMatchObject({ status: 'merged', versionId: 'v1' });
  });

  it('refuses transitions that make no sense, and merged without a real version', () => {
    const h = new StateHarness();
    h.ok(version(null, [], 'none'));
    h.ok(reserve('zxq'));
    expect(h.refused({ type: 'updateSubject', token: 'zxq', status: 'merged', versionId: 'v1' })).toEqual({
      code: 'failed_precondition',
      message: 'subject "zxq" is reserved and cannot become merged; it can become training or failed',
    });
    h.ok({ type: 'updateSubject', token: 'zxq', status: 'training' });
    expect(h.refused({ type: 'updateSubject', token: 'zxq', status: 'merged' })).toMatchObject({ code: 'invalid', message: expect.stringMatching(/versionId is required/) });
    expect(h.refused({ type: 'updateSubject', token: 'zxq', status: 'merged', versionId: 'v9' }).code).toBe('not_found');
    expect(h.refused({ type: 'updateSubject', token: 'zxq', status: 'failed', versionId: 'v1' }).code).toBe('invalid');
    h.ok({ type: 'updateSubject', token: 'zxq', status: 'merged', versionId: 'v1' });
    expect(h.refused({ type: 'updateSubject', token: 'zxq', status: 'failed' })).toMatchObject({ message: expect.stringMatching(/it can become retired/) });
    h.ok({ type: 'updateSubject', token: 'zxq', status: 'retired' });
    expect(h.refused({ type: 'updateSubject', token: 'zxq', status: 'merged', versionId: 'v1' })).toMatchObject({ message: expect.stringMatching(/its status is final/) });
    expect(h.refused({ type: 'updateSubject', token: 'nope', status: 'failed' }).code).toBe('not_found');
  });
});
