import { Icon } from '../../components/Icon';
import { emptyFilters, type ImageFilters } from '../../store/image-query';
import { useImages } from '../../store/images';

/** Text search (matched as you type) and the engine-side filters. */
export function FilterBar() {
  const filters = useImages((s) => s.filters);
  const setFilters = useImages((s) => s.setFilters);
  const active = (Object.keys(emptyFilters) as (keyof ImageFilters)[]).some((k) => filters[k] !== emptyFilters[k]);

  return (
    <div className="filter-bar" role="search" aria-label="Filter images">
      <label className="search-field">
        <Icon name="search" />
        <input
          type="search"
          placeholder="Search name, tag, ID, digest…"
          aria-label="Search images"
          value={filters.text}
          onChange={(e) => setFilters({ text: e.target.value })}
        />
      </label>
      <label className="field-inline">
        <span>Dangling</span>
        <select value={filters.dangling} onChange={(e) => setFilters({ dangling: e.target.value as ImageFilters['dangling'] })}>
          <option value="any">Show</option>
          <option value="only">Only</option>
          <option value="hide">Hide</option>
        </select>
      </label>
      <label className="field-inline">
        <span>Containers</span>
        <select value={filters.usage} onChange={(e) => setFilters({ usage: e.target.value as ImageFilters['usage'] })}>
          <option value="any">Any</option>
          <option value="inUse">In use</option>
          <option value="unused">Unused</option>
        </select>
      </label>
      <input
        className="input-small wide"
        placeholder="Reference, e.g. busybox*"
        aria-label="Reference pattern"
        value={filters.reference}
        onChange={(e) => setFilters({ reference: e.target.value })}
      />
      <input className="input-small" placeholder="Since image…" aria-label="Created since image" value={filters.since} onChange={(e) => setFilters({ since: e.target.value })} />
      <input className="input-small" placeholder="Before image…" aria-label="Created before image" value={filters.before} onChange={(e) => setFilters({ before: e.target.value })} />
      {active && (
        <button type="button" className="button button-quiet" title="Clear all filters" aria-label="Clear all filters" onClick={() => setFilters(emptyFilters)}>
          Clear
        </button>
      )}
    </div>
  );
}
