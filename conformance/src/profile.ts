/** Which checks a run includes. `mock`: what a stateless mock can satisfy; `core`: no waiting; `full`: optional features too; `slow`: real retention waits. */
export type Profile = 'mock' | 'core' | 'full' | 'slow';
