/**
 * Which checks a run includes. `mock`: what a stateless mock can satisfy; `core`: no waiting; `full`: optional features
 * too; `slow`: real retention waits; `fuzz`: `full` plus the properties checked on generated inputs.
 */
export type Profile = 'mock' | 'core' | 'full' | 'slow' | 'fuzz';
