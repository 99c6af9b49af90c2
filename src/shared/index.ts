export * from './capacity.js';
export * from './duration.js';
export * from './ids.js';
export * from './window.js';
export * from './queries.js';
export * from './search-attributes.js';
export * from './controller.js';
export * from './budget.js';
